function totals_child()
% Stream child: the plugin's map-with-finalize example. Each chunk is
% answered with its sums of x and y; after the last, the totals.
    global STREAM_TOTALS
    STREAM_TOTALS = struct('x', 0, 'y', 0);
    scidb.stream.map(@local_sums, @final_sums);
end

function answer = local_sums(chunk)
    global STREAM_TOTALS
    x = sum(chunk.x);
    y = sum(chunk.y);
    STREAM_TOTALS.x = STREAM_TOTALS.x + x;
    STREAM_TOTALS.y = STREAM_TOTALS.y + y;
    answer = struct('x', int64(x), 'y', y, 'info', {{'local'}});
end

function answer = final_sums()
    global STREAM_TOTALS
    answer = struct('x', int64(STREAM_TOTALS.x), 'y', STREAM_TOTALS.y, 'info', {{'total'}});
end
