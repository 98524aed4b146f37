function folder = data_path()
%DATA_PATH The folder holding the configured database's payload files.
    folder = scidb_mex('data_path');
end
