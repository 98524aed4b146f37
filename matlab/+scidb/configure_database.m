function configure_database(path, schema_keys, lineage_path)
%CONFIGURE_DATABASE Open (creating when missing) the scidb database file.
%   scidb.configure_database(PATH, SCHEMA_KEYS) opens the DuckDB file PATH
%   as the database of this MATLAB session. SCHEMA_KEYS (a cell array of
%   names or a string array, e.g. {'subject', 'session'}) says how the
%   dataset is organised. scidb.configure_database(PATH, KEYS, LINEAGE_PATH)
%   is accepted for compatibility: lineage is kept in the same file so a
%   save and its lineage commit together.
%
%   Reopening a file with other schema keys raises scidb:schemaMismatch; a
%   file held by another process raises scidb:locked. Configuring again
%   closes the database configured before.
    if nargin < 2
        error('scidb:invalidArgument', ...
              'configure_database needs a path and the schema keys, e.g. {''subject'', ''session''}');
    end
    if nargin < 3
        lineage_path = [];
    end
    if ischar(schema_keys)
        schema_keys = {schema_keys};
    elseif ~iscell(schema_keys)
        % A string array (MATLAB); cellstr gives each key as char.
        schema_keys = cellstr(schema_keys);
    end
    scidb_mex('open', path, schema_keys, lineage_path);
end
