function chunk = read()
%READ The next chunk SciDB sends: a table on MATLAB, a struct of
%   equal-length columns on Octave (int64 columns holding nulls arrive as
%   double with NaN, as in SciDB-Py). Returns [] when SciDB has ended the
%   stream; then send one final answer with scidb.stream.write. Every chunk
%   must be answered (scidb.stream.write) before the next read.
    if ~scidb.stream.is_open()
        scidb.stream.open();
    end
    chunk = scidb_mex('stream_read');
end
