function close_database()
%CLOSE_DATABASE Close the database opened by scidb.configure_database.
%   Closing releases the file so another process may open it. Nothing is
%   lost: every save is committed when it returns.
    scidb_mex('close');
end
