function path = fresh_database(keys)
%FRESH_DATABASE Configure a new database file in a temporary folder.
%   PATH = FRESH_DATABASE() uses the schema keys {'subject', 'session'};
%   FRESH_DATABASE(KEYS) uses KEYS.
    if nargin < 1
        keys = {'subject', 'session'};
    end
    folder = tempname();
    mkdir(folder);
    path = fullfile(folder, 'test.duckdb');
    scidb.configure_database(path, keys);
end
