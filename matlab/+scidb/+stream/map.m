function map(map_fun, finalize_fun)
%MAP Answer every chunk with MAP_FUN(chunk), then send FINALIZE_FUN()'s
%   answer (or an empty one) after the last: the whole child side of
%   SciDB's stream() in one call, e.g. as the stream command
%
%     octave-cli --eval "addpath('/path/to/scidb/matlab'); scidb.stream.map(@my_fn)"
%
%   MAP_FUN receives a chunk as scidb.stream.read returns it and returns an
%   answer as scidb.stream.write takes it ([] for an empty answer). An
%   error ends the exchange: it is reported on stderr and the process
%   should exit non-zero (octave-cli --eval does).
    if nargin < 2
        finalize_fun = [];
    end
    while true
        chunk = scidb.stream.read();
        if isnumeric(chunk) && isempty(chunk)
            break;
        end
        scidb.stream.write(map_fun(chunk));
    end
    if isempty(finalize_fun)
        scidb.stream.write([]);
    else
        scidb.stream.write(finalize_fun());
    end
end
