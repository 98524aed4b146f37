function path = fresh_database(keys)
%FRESH_DATABASE Configure a new database in a temporary folder.
%   PATH = FRESH_DATABASE() uses the schema keys {'subject', 'session'};
%   FRESH_DATABASE(KEYS) uses KEYS. With SCIDB_TEST_CATALOG=postgres the
%   database is a new PostgreSQL catalog of the test server (a fresh
%   schema, tests/pg/new_catalog.sh) with its payload files in the
%   temporary folder, and PATH is its URL; otherwise a DuckDB file there.
    if nargin < 1
        keys = {'subject', 'session'};
    end
    folder = tempname();
    mkdir(folder);
    if strcmp(getenv('SCIDB_TEST_CATALOG'), 'postgres')
        here = fileparts(mfilename('fullpath'));
        script = fullfile(here, '..', '..', 'tests', 'pg', 'new_catalog.sh');
        [status, out] = system(script);
        if status ~= 0
            error('scidb:test', 'creating a PostgreSQL catalog failed: %s', out);
        end
        path = strtrim(out);
        scidb.configure_database(path, keys, 'data_path', fullfile(folder, 'data'));
    else
        path = fullfile(folder, 'test.duckdb');
        scidb.configure_database(path, keys);
    end
end
