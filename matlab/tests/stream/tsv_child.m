function tsv_child()
% Stream child over the TSV format: one line per chunk, its row count.
    scidb.stream.open('tsv');
    while true
        chunk = scidb.stream.read();
        if isnumeric(chunk) && isempty(chunk)
            break;
        end
        names = fieldnames(chunk);
        scidb.stream.debug('chunk of', numel(chunk.(names{1})), 'rows');
        scidb.stream.write(struct('n', int64(numel(chunk.(names{1})))));
    end
    scidb.stream.write();
end
