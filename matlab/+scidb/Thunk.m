classdef Thunk
%THUNK A function whose results carry their lineage and are cached.
%
%   filter_fn = scidb.Thunk(@bandpass_filter);
%   filtered = filter_fn(raw, 20, 450);          % a scidb.ThunkResult
%   FilteredEMG().save(filtered, 'subject', 1, 'session', 'baseline');
%
%   Arguments are sorted by what they are: a loaded variable or an earlier
%   result is an input (the function receives its .data, and lineage names
%   its record); a real finite scalar, logical scalar or text is a constant
%   (part of the cache key, and a metadata key of the saved result, named
%   by the function's parameter); anything else is an input known by its
%   content hash. When the same function (same .m file, comments and
%   formatting aside, or the same 'version') was already called with the
%   same input contents and constants and its results saved, the function
%   does not run: the results are loaded instead (result.cached is true).
%
%   scidb.Thunk(@fn, 'unpack_output', true) gives one result per output the
%   caller asks for: [a, b] = t(x). scidb.Thunk(@fn, 'version', 'v2') names
%   the function's version explicitly; it replaces the source hash.

    properties (SetAccess = private)
        fn                     % the function handle
        name = ''              % the function's name
        file = ''              % its .m file ('' for anonymous/built-in)
        unpack_output = false  % one result per requested output
        version = ''           % explicit version ('' = use the source hash)
        parameters = {}        % parameter names, from the signature
    end

    properties (Access = private)
        source_hash = ''
        source_stamp = []      % [datenum bytes] of the file when hashed
    end

    methods
        function obj = Thunk(fn, varargin)
            if nargin < 1 || ~isa(fn, 'function_handle')
                error('scidb:invalidArgument', 'scidb.Thunk needs a function handle, e.g. scidb.Thunk(@my_function)');
            end
            if mod(numel(varargin), 2) ~= 0
                error('scidb:invalidArgument', 'scidb.Thunk options are ''name'', value pairs');
            end
            for i = 1:2:numel(varargin)
                switch lower(char(varargin{i}))
                    case 'unpack_output'
                        obj.unpack_output = logical(varargin{i + 1});
                    case 'version'
                        obj.version = char(varargin{i + 1});
                    otherwise
                        error('scidb:invalidArgument', 'unknown scidb.Thunk option ''%s'' (unpack_output, version)', ...
                              char(varargin{i}));
                end
            end
            obj.fn = fn;
            obj.name = func2str(fn);
            if obj.name(1) == '@'
                obj.name = 'anonymous';
            else
                obj.file = which(obj.name);
                if ~isempty(obj.file) && ~exist(obj.file, 'file')
                    obj.file = '';    % built-in
                end
            end
            obj = refresh_identity(obj);
            if ~isempty(obj.file)
                signature = scidb_mex('matlab_signature', fileread(obj.file));
                obj.parameters = signature.inputs;
            end
        end

        function id = identity(obj)
        %IDENTITY The function's identity as scidb sees it: a struct with
        %   language, name, source_hash and version ('' when none).
            obj = refresh_identity(obj);
            id = struct('language', 'matlab', 'name', obj.name, ...
                        'source_hash', obj.source_hash, 'version', obj.version);
        end

        function varargout = subsref(obj, S)
            if strcmp(S(1).type, '()')
                n = 1;
                if obj.unpack_output
                    n = max(1, nargout);
                end
                results = call(obj, n, S(1).subs);
                varargout = results(1:max(1, nargout));
                if numel(S) > 1
                    [varargout{1:nargout}] = subsref(varargout{1}, S(2:end));
                end
            else
                [varargout{1:nargout}] = builtin('subsref', obj, S);
            end
        end
    end

    methods (Access = private)
        function obj = refresh_identity(obj)
            % The source hash, recomputed when the file changed since.
            if isempty(obj.file)
                if isempty(obj.source_hash)
                    obj.source_hash = scidb_mex('source_hash', func2str(obj.fn));
                end
                return;
            end
            info = dir(obj.file);
            stamp = [info.datenum, info.bytes];
            if ~isequal(stamp, obj.source_stamp)
                obj.source_hash = scidb_mex('source_hash', fileread(obj.file));
                obj.source_stamp = stamp;
            end
        end

        function results = call(obj, n, args)
            obj = refresh_identity(obj);
            spec = struct('name', obj.name, 'source_hash', obj.source_hash, ...
                          'version', obj.version, 'n_outputs', n);
            spec.input_names = {};
            spec.input_records = {};
            spec.input_hashes = {};
            spec.constants = {};
            spec.input_results = {};   % ThunkResults, resolved again at save
            plain = args;
            for i = 1:numel(args)
                name = parameter_name(obj, i);
                a = args{i};
                if isa(a, 'scidb.ThunkResult')
                    plain{i} = a.data;
                    rid = a.saved_record();
                    if isempty(rid)
                        spec = add_input(spec, name, '', a.content_hash(), a);
                    else
                        spec = add_input(spec, name, rid, '', a);
                    end
                elseif isa(a, 'scidb.BaseVariable')
                    plain{i} = a.data;
                    if ~isempty(a.record_id)
                        spec = add_input(spec, name, a.record_id, '');
                    else
                        spec = add_input(spec, name, '', scidb_mex('hash', a.data));
                    end
                elseif is_constant(a)
                    spec.constants(end + 1:end + 2) = {name, a};
                else
                    spec = add_input(spec, name, '', scidb_mex('hash', a));
                end
            end
            hits = scidb_mex('call_lookup', spec);
            results = cell(1, n);
            if ~isempty(hits)
                for k = 1:n
                    record = scidb_mex('load_record', hits(k).record_id);
                    results{k} = scidb.ThunkResult(spec, k, record.data, true, hits(k).record_id);
                end
            else
                outputs = cell(1, n);
                [outputs{:}] = obj.fn(plain{:});
                for k = 1:n
                    results{k} = scidb.ThunkResult(spec, k, outputs{k}, false, '');
                end
            end
        end

        function name = parameter_name(obj, i)
            % The parameter argument i binds to; varargin items are named
            % varargin_1, varargin_2, ...
            params = obj.parameters;
            if i <= numel(params) && ~strcmp(params{i}, 'varargin')
                name = params{i};
            elseif ~isempty(params) && strcmp(params{end}, 'varargin') && i >= numel(params)
                name = sprintf('varargin_%d', i - numel(params) + 1);
            else
                name = sprintf('arg%d', i);
            end
        end
    end
end

function spec = add_input(spec, name, record_id, hash, result)
    spec.input_names{end + 1} = name;
    spec.input_records{end + 1} = record_id;
    spec.input_hashes{end + 1} = hash;
    if nargin < 5
        result = [];
    end
    spec.input_results{end + 1} = result;
end

function yes = is_constant(a)
    % What Python treats as a constant: a number, boolean or text.
    if ischar(a)
        yes = size(a, 1) <= 1;
    elseif exist('isstring', 'builtin') && isstring(a)
        yes = isscalar(a);
    elseif (isnumeric(a) || islogical(a)) && isscalar(a) && isreal(a)
        yes = islogical(a) || isinteger(a) || isfinite(a);
    else
        yes = false;
    end
end
