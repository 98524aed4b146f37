function count_child()
% Stream child: answers each chunk with its row count.
    scidb.stream.map(@(chunk) struct('count', int64(numel(first_column(chunk)))));
end

function c = first_column(chunk)
    names = fieldnames(chunk);
    c = chunk.(names{1});
end
