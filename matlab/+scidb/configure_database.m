function configure_database(path, schema_keys, varargin)
%CONFIGURE_DATABASE Open (creating when missing) the scidb database file.
%   scidb.configure_database(PATH, SCHEMA_KEYS) opens the DuckDB file PATH
%   as the database of this MATLAB session. SCHEMA_KEYS (a cell array of
%   names or a string array, e.g. {'subject', 'session'}) says how the
%   dataset is organised. scidb.configure_database(PATH, KEYS, LINEAGE_PATH)
%   is accepted for compatibility: lineage is kept in the same file so a
%   save and its lineage commit together.
%
%   scidb.configure_database(..., 'data_path', FOLDER) keeps the payload
%   files (values over 1 MiB: .npy for arrays, Arrow IPC .arrow for
%   tables) in FOLDER, relative to the database's folder; by default they
%   are in PATH.data beside the file. A new database remembers the folder
%   it was given.
%
%   PATH may also be a PostgreSQL catalog that many processes and machines
%   share: scidb.configure_database('postgresql://user@host/dbname', KEYS,
%   'data_path', '/shared/lab/scidb'), with 'data_path' an absolute folder
%   every process sees (see docs/cluster.md; the password may come from
%   ~/.pgpass and never appears in errors).
%
%   Reopening a file with other schema keys raises scidb:schemaMismatch; a
%   file held by another process raises scidb:locked. Configuring again
%   closes the database configured before.
    if nargin < 2
        error('scidb:invalidArgument', ...
              'configure_database needs a path and the schema keys, e.g. {''subject'', ''session''}');
    end
    lineage_path = [];
    if mod(numel(varargin), 2) == 1
        lineage_path = varargin{1};
        varargin = varargin(2:end);
    end
    data_path = [];
    for i = 1:2:numel(varargin)
        name = varargin{i};
        if ~(ischar(name) || (exist('isstring', 'builtin') && isstring(name))) || ~strcmp(name, 'data_path')
            error('scidb:invalidArgument', ...
                  'configure_database takes the option ''data_path'' after the schema keys');
        end
        data_path = varargin{i + 1};
    end
    if ischar(schema_keys)
        schema_keys = {schema_keys};
    elseif ~iscell(schema_keys)
        % A string array (MATLAB); cellstr gives each key as char.
        schema_keys = cellstr(schema_keys);
    end
    scidb_mex('open', path, schema_keys, lineage_path, data_path);
end
