function steps = status(fn)
%STATUS Every pipeline step (a function and an output type) with how many
%   of its current outputs are up to date and how many are stale, as a
%   struct array with fields function_name, language, output, outputs, current,
%   stale and stale_outputs (record_id, metadata, reason, input). An output
%   is stale when an input has a newer version than the one it was computed
%   from, or an input is itself stale. scidb.status(fn), with fn a function
%   handle or scidb.Thunk as it is now, also marks the outputs its step made
%   with another source or version ('function_changed'). The same counts as
%   the `scidb status` command and Python's db.status().
    ident = [];
    if nargin > 0
        if isa(fn, 'function_handle')
            fn = scidb.Thunk(fn);
        end
        if ~isa(fn, 'scidb.Thunk')
            error('scidb:invalidArgument', ...
                  'scidb.status takes a function handle or a scidb.Thunk, got a %s', class(fn));
        end
        id = fn.identity();
        s = struct('language', id.language, 'name', id.name);
        if ~isempty(id.source_hash)
            s.source_hash = id.source_hash;
        end
        if ~isempty(id.version)
            s.version = id.version;
        end
        ident = jsonencode(s);
    end
    % 'function' cannot name a field (it is a keyword): function_name does.
    text = regexprep(scidb_mex('status', ident), '(?<!\\)"function":', '"function_name":');
    steps = jsondecode(text);
    if isempty(steps)
        steps = struct([]);
    end
end
