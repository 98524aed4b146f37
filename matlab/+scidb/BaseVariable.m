classdef BaseVariable
%BASEVARIABLE A named variable type: subclass it once per kind of data.
%
%   classdef RawEMG < scidb.BaseVariable, end
%
%   rid = RawEMG().save(randn(1000, 1), 'subject', 1, 'session', 'baseline');
%   raw = RawEMG().load('subject', 1, 'session', 'baseline');
%   raw.data, raw.metadata, raw.record_id
%
%   Metadata is given as 'name', value pairs (or name=value on MATLAB
%   R2021a+). Names that are not schema keys are version keys: records
%   saved with 'smoothing', 0.2 and 'smoothing', 0.3 at one location are
%   two variants, and load raises scidb:ambiguous until one is chosen.

    properties
        data = []            % the value
        metadata = struct()  % the metadata it was saved with
        record_id = ''       % the record's id (32 hex digits)
        content_hash = ''    % the value's content hash (64 hex digits)
        version = []         % larger is newer, across the database
        saved_at = ''        % when it was saved (UTC)
    end

    methods
        function record_id = save(obj, data, varargin)
        %SAVE Save DATA with metadata pairs; returns the record id.
        %   Saving the same content with the same metadata again stores
        %   nothing new and returns the same id. A scidb.ThunkResult is
        %   saved with its lineage (the function, inputs and constants that
        %   produced it); its constants become metadata keys of the record.
            if isa(data, 'scidb.ThunkResult')
                record_id = data.save_as(class(obj), varargin);
                return;
            end
            if isa(data, 'scidb.BaseVariable')
                data = data.data;
            end
            record_id = scidb_mex('save', class(obj), data, varargin);
        end

        function out = load(obj, varargin)
        %LOAD Load by metadata: the newest record at the matching location.
        %   When several locations match, an array of objects. Lists of
        %   values mean "any of" (e.g. 'subject', [1 2]). load('version', ID)
        %   loads exactly the record ID. Raises scidb:notFound when nothing
        %   matches and scidb:ambiguous when a location holds several
        %   variants that the metadata does not choose between.
            out = scidb.BaseVariable.from_records(obj, scidb_mex('load', class(obj), varargin));
        end

        function out = load_all(obj, varargin)
        %LOAD_ALL The newest record of every matching location and variant:
        %   a table on MATLAB (a struct of equal-length columns on Octave)
        %   with one column per metadata key and a data column.
            out = scidb_mex('load_all_columns', class(obj), varargin);
        end

        function out = list_versions(obj, varargin)
        %LIST_VERSIONS Every matching record, all versions, oldest first at
        %   each location: a struct array with metadata, record_id,
        %   content_hash, version and saved_at.
            out = rmfield(scidb_mex('list_versions', class(obj), varargin), 'data');
        end

        function record_id = save_chunks(obj, chunks, varargin)
        %SAVE_CHUNKS Save one value from a sequence of chunks, never holding
        %   it whole: CHUNKS is a cell array of chunks or a function handle
        %   that returns the next chunk on each call and [] after the last.
        %   Array chunks are joined along their first dimension (rows),
        %   tables or structs of columns by rows. Stored chunks hold about
        %   one million cells. Nothing is saved when a chunk is refused or
        %   the function errors. Returns the record id; read the value back
        %   with load_chunks (load gives it whole only up to 256 MiB).
            writer = scidb_mex('chunk_writer_open', class(obj), varargin);
            try
                if iscell(chunks)
                    for i = 1:numel(chunks)
                        scidb_mex('chunk_writer_add', writer, chunks{i});
                    end
                elseif isa(chunks, 'function_handle')
                    while true
                        chunk = chunks();
                        if isnumeric(chunk) && isempty(chunk)
                            break;
                        end
                        scidb_mex('chunk_writer_add', writer, chunk);
                    end
                else
                    error('scidb:invalidArgument', 'chunks must be a cell array or a function handle, got a %s', ...
                          class(chunks));
                end
            catch err
                scidb_mex('chunk_writer_free', writer);
                rethrow(err);
            end
            record_id = scidb_mex('chunk_writer_finish', writer);
        end

        function reader = load_chunks(obj, varargin)
        %LOAD_CHUNKS A scidb.ChunkReader over the chunks of the value saved
        %   with save_chunks that the metadata selects (one record, as load);
        %   load_chunks('version', RECORD_ID) opens exactly that record.
            reader = scidb.ChunkReader(class(obj), varargin);
        end

        function p = provenance(obj, varargin)
        %PROVENANCE What produced the record the metadata selects: a struct
        %   with function_name, function_hash, language, constants (a
        %   struct), inputs (a struct array with name, variable, record_id,
        %   content_hash), record_id, ... ; [] when it was saved without
        %   lineage. Raises scidb:ambiguous unless one record matches.
            p = decode(scidb_mex('provenance', single_record(obj, varargin).record_id));
        end

        function steps = upstream_provenance(obj, varargin)
        %UPSTREAM_PROVENANCE The provenance of the selected record and of
        %   every saved input upstream of it, across languages: a cell
        %   array of provenance structs, the record first.
            steps = decode(scidb_mex('upstream_provenance', single_record(obj, varargin).record_id));
            if isstruct(steps)
                steps = num2cell(steps);
            end
        end
    end

    methods (Access = private)
        function record = single_record(obj, pairs)
            record = load(obj, pairs{:});
            if numel(record) ~= 1
                error('scidb:ambiguous', '%d %s records match; give metadata that selects one', ...
                      numel(record), class(obj));
            end
        end
    end

    methods (Static, Access = private)
        function out = from_records(prototype, records)
            % Grown by indexed assignment: Octave cannot repmat objects.
            out = prototype([]);
            fields = {'data', 'metadata', 'record_id', 'content_hash', 'version', 'saved_at'};
            for i = 1:numel(records)
                item = prototype;
                for f = 1:numel(fields)
                    item.(fields{f}) = records(i).(fields{f});
                end
                if numel(records) == 1
                    out = item;   % a plain object: Octave cannot index into object arrays (x.a.b)
                else
                    out(i) = item;
                end
            end
        end
    end
end

function value = decode(json)
    % JSON from the library; 'null' is [].
    if strcmp(json, 'null')
        value = [];
    else
        value = jsondecode(json);
    end
end
