function open(format)
%OPEN Start answering SciDB's stream() on stdin/stdout in FORMAT.
%   scidb.stream.open('arrow') for the plugin's format:'feather' (the
%   default, used when read is called first), scidb.stream.open('tsv') for
%   its default text format. stdout carries the protocol: print nothing
%   else (use scidb.stream.debug, which writes to stderr).
    if nargin < 1
        format = getenv('SCIDB_STREAM_FORMAT');
        if isempty(format)
            format = 'arrow';
        end
    end
    scidb_mex('stream_open', format);
    scidb.stream.is_open(true);
end
