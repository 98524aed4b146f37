function debug(varargin)
%DEBUG Print the arguments on stderr, the stream child's only log channel
%   (stdout carries the protocol), separated by spaces, as scidb-strm does.
    parts = cell(1, numel(varargin));
    for i = 1:numel(varargin)
        v = varargin{i};
        if ischar(v)
            parts{i} = v;
        else
            parts{i} = disp_text(v);
        end
    end
    fprintf(2, '%s\n', strjoin(parts, ' '));
end

function text = disp_text(v)
    text = strtrim(evalc('disp(v)'));
end
