function write(answer)
%WRITE Answer the last chunk read (or, after the end, send the final
%   answer): a table, or a struct of equal-length column vectors of numbers
%   or text (cellstr). write() or write([]) sends an empty answer. NaN in a
%   double column travels as a null.
    if nargin < 1
        answer = [];
    end
    scidb_mex('stream_write', answer);
end
