function yes = is_open(set_to)
%IS_OPEN Whether this session has opened the stream (internal).
    persistent opened
    if isempty(opened)
        opened = false;
    end
    if nargin > 0
        opened = set_to;
    end
    yes = opened;
end
