function report = gc()
%GC Remove payload files that no record refers to.
%   REPORT = scidb.gc() removes the payload files of the configured
%   database that no record names (a save interrupted between writing its
%   file and committing its record leaves one) and the temporary files of
%   interrupted writes. REPORT has fields removed_files and removed_bytes.
%   Loads never remove files.
    counts = scidb_mex('gc');
    report = struct('removed_files', counts(1), 'removed_bytes', counts(2));
end
