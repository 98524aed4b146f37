function tests = test_chunks()
%TEST_CHUNKS Chunked values from Octave: save_chunks and load_chunks.
    tests = {@array_chunks_round_trip, @generator_and_rechunking, @table_chunks, @refused_chunk_saves_nothing};
end

function acc = read_all(reader)
    acc = [];
    while reader.has_next()
        acc = [acc; reader.next()]; %#ok<AGROW>
    end
end

function array_chunks_round_trip()
    fresh_database();
    rid = RawEMG().save_chunks({(1:5)', (6:12)', 13}, 'subject', 1, 'session', 'a');
    reader = RawEMG().load_chunks('subject', 1, 'session', 'a');
    assert_same(reader.rows, 13, 'rows');
    assert_same(read_all(reader), (1:13)', 'chunks joined');
    assert(isempty(reader.next()), 'nothing after the last chunk');
    whole = RawEMG().load('subject', 1, 'session', 'a');
    assert_same(whole.data, (1:13)', 'loaded whole');
    assert_same(read_all(RawEMG().load_chunks('version', rid)), (1:13)', 'by record id');
    assert_error(@() RawEMG().load_chunks('version', rid, 'subject', 1), 'scidb:invalidArgument', 'no other');
    assert_error(@() RawForce().load_chunks('version', rid), 'scidb:notFound', 'not a RawForce');
end

function generator_and_rechunking()
    fresh_database();
    global SCIDB_TEST_NEXT
    SCIDB_TEST_NEXT = 0;
    % 2.5 million doubles in chunks of 625,000 rows x 1, stored as ~1M-cell chunks.
    RawEMG().save_chunks(@next_block, 'subject', 2, 'session', 'a');
    reader = RawEMG().load_chunks('subject', 2, 'session', 'a');
    assert_same(reader.rows, 2500000, 'rows');
    assert(reader.n_chunks >= 3, 'stored in about 1M-cell chunks, got %d', reader.n_chunks);
    total = 0;
    count = 0;
    while reader.has_next()
        c = reader.next();
        total = total + sum(c);
        count = count + numel(c);
    end
    assert_same(count, 2500000, 'cells read');
    assert_same(total, sum(1:2500000), 'sum of every cell');
end

function block = next_block()
    global SCIDB_TEST_NEXT
    if SCIDB_TEST_NEXT >= 4
        block = [];
        return;
    end
    block = (SCIDB_TEST_NEXT * 625000 + (1:625000))';
    SCIDB_TEST_NEXT = SCIDB_TEST_NEXT + 1;
end

function table_chunks()
    fresh_database();
    a = struct('t', [1; 2], 'label', {{'x'; 'y'}});
    b = struct('t', 3, 'label', {{'z'}});
    Sample().save_chunks({a, b}, 'subject', 1, 'session', 'a');
    reader = Sample().load_chunks('subject', 1, 'session', 'a');
    first = reader.next();
    second = reader.next();
    if reader.n_chunks == 1
        assert_same(first.t, [1; 2; 3], 'one stored chunk');
        assert_same(first.label, {'x'; 'y'; 'z'}, 'labels');
    else
        assert_same([first.t; second.t], [1; 2; 3], 'rows');
    end
    % Binary columns: cells of uint8 vectors, [] for a missing cell.
    c = struct('t', [1; 2; 3], 'raw', {{uint8([1 2 3]); []; zeros(1, 0, 'uint8')}});
    Sample().save_chunks({c}, 'subject', 2, 'session', 'a');
    reader = Sample().load_chunks('subject', 2, 'session', 'a');
    back = reader.next();
    assert_same(back.raw, {uint8([1 2 3]); []; zeros(1, 0, 'uint8')}, 'binary cells');
    loaded = Sample().load('subject', 2, 'session', 'a');
    assert_same(loaded.data.raw, c.raw, 'binary column loaded whole');
    bad = struct('raw', {{uint8(1); 'text'}});
    assert_error(@() Sample().save_chunks({bad}, 'subject', 3, 'session', 'a'), ...
                 'scidb:typeMismatch', 'uint8 vector');
end

function refused_chunk_saves_nothing()
    fresh_database();
    assert_error(@() RawEMG().save_chunks({(1:3)', @sin}, 'subject', 1, 'session', 'a'), ...
                 'scidb:typeMismatch', 'function_handle');
    assert_error(@() RawEMG().load('subject', 1, 'session', 'a'), 'scidb:notFound', 'RawEMG');
    assert_error(@() RawEMG().save_chunks(5, 'subject', 1), 'scidb:invalidArgument', 'cell array or a function handle');
end
