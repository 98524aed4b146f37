function tests = test_gateway()
%TEST_GATEWAY Wrong arguments give MATLAB errors, never a crash, and leave
%the database usable; the handle survives `clear all` and `clear mex`.
    tests = {@bad_commands, @bad_argument_types, @bad_metadata, @unsupported_values, ...
             @database_still_usable, @survives_clear};
end

function bad_commands()
    assert_error(@() scidb_mex(), 'scidb:invalidArgument', 'command');
    assert_error(@() scidb_mex(42), 'scidb:invalidArgument', 'command');
    assert_error(@() scidb_mex('no_such_command'), 'scidb:invalidArgument', 'no_such_command');
    assert_error(@() scidb_mex('save'), 'scidb:invalidArgument', 'takes 3 arguments');
    assert_error(@() scidb_mex('load', 'RawEMG', {}, 3), 'scidb:invalidArgument', 'takes 2');
    assert_error(@() scidb_mex(repmat('x', 1, 100)), 'scidb:invalidArgument', 'command');
end

function bad_argument_types()
    fresh_database();
    assert_error(@() scidb_mex('save', 42, 1, {}), 'scidb:invalidArgument', 'variable type');
    assert_error(@() scidb_mex('save', 'RawEMG', 1, 'subject'), 'scidb:invalidArgument', 'pairs');
    assert_error(@() scidb_mex('load', {}, {}), 'scidb:invalidArgument', 'variable type');
    assert_error(@() scidb_mex('load', 'RawEMG', 5), 'scidb:invalidArgument', 'pairs');
    assert_error(@() scidb_mex('open', 1, {}, [], []), 'scidb:invalidArgument', 'path');
    assert_error(@() scidb_mex('open', 'x.duckdb', 'subject', [], []), 'scidb:invalidArgument', 'schema keys');
    assert_error(@() scidb_mex('open', 'x.duckdb', {1}, [], []), 'scidb:invalidArgument', 'schema key');
    assert_error(@() scidb_mex('save', 'bad name!', 1, {}), 'scidb:invalidArgument', 'bad name!');
    assert_error(@() scidb_mex('save', ['a', char(0)], 1, {}), 'scidb:invalidArgument', 'NUL');
end

function bad_metadata()
    fresh_database();
    assert_error(@() RawEMG().save(1, 'subject'), 'scidb:invalidArgument', 'odd number');
    assert_error(@() RawEMG().save(1, 5, 1), 'scidb:invalidArgument', 'metadata name');
    assert_error(@() RawEMG().save(1, 'subject', {1, 2}), 'scidb:invalidArgument', 'list');
    assert_error(@() RawEMG().save(1, 'subject', [1 2]), 'scidb:invalidArgument', 'list');
    assert_error(@() RawEMG().save(1, 'subject', struct('a', 1)), 'scidb:invalidArgument', 'subject');
    assert_error(@() RawEMG().save(1, 'subject', NaN), 'scidb:invalidArgument', 'finite');
    assert_error(@() RawEMG().save(1, 'subject', 1+2i), 'scidb:invalidArgument', 'complex');
    assert_error(@() RawEMG().save(1, 'subject', 1, 'subject', 2), 'scidb:invalidArgument', 'already present');
    RawEMG().save(1, 'subject', 1, 'session', 'a');
    assert_error(@() RawEMG().load('version', 'no-such-id'), 'scidb:notFound', 'no-such-id');
    assert_error(@() RawEMG().load('version', 'x', 'subject', 1), 'scidb:invalidArgument', 'version');
end

function unsupported_values()
    fresh_database();
    assert_error(@() RawEMG().save(sparse([1 0 2]), 'subject', 1), 'scidb:typeMismatch', 'sparse');
    assert_error(@() RawEMG().save(@sin, 'subject', 1), 'scidb:typeMismatch', 'function_handle');
    assert_error(@() RawEMG().save({1, @cos}, 'subject', 1), 'scidb:typeMismatch', 'data{2}');
    assert_error(@() RawEMG().save(struct('f', @cos), 'subject', 1), 'scidb:typeMismatch', 'data.f');
    try
        complex_int = complex(int8(1), int8(2));   % MATLAB has complex integers, Octave not
    catch
        complex_int = [];
    end   % (Octave's complex() of integers gives a double)
    if isinteger(complex_int)
        assert_error(@() RawEMG().save(complex_int, 'subject', 1), 'scidb:typeMismatch', 'complex');
    end
    bad_map = containers.Map('KeyType', 'double', 'ValueType', 'any');
    bad_map(1) = 2;
    assert_error(@() RawEMG().save(bad_map, 'subject', 1), 'scidb:typeMismatch', 'double keys');
    deep = {};
    for k = 1:300
        deep = {deep};
    end
    assert_error(@() RawEMG().save(deep, 'subject', 1), 'scidb:typeMismatch', 'nested');
    depth_limit();
end

function depth_limit()
%The core's one depth limit (128): that deep saves and loads back, one more
%is refused before the gateway recurses further; struct arrays count two.
    deepest = 1;
    for k = 1:128
        deepest = {deepest};
    end
    RawEMG().save(deepest, 'subject', 7);
    back = RawEMG().load('subject', 7);
    assert_same(back.data, deepest);
    assert_error(@() RawEMG().save({deepest}, 'subject', 8), 'scidb:typeMismatch', 'nested deeper than 128');
    list_of_maps = struct('a', {1, 2});
    for k = 1:127
        list_of_maps = {list_of_maps};
    end
    assert_error(@() RawEMG().save(list_of_maps, 'subject', 8), 'scidb:typeMismatch', 'nested deeper than 128');
end

function database_still_usable()
    % After every kind of failure above, saving and loading still work.
    fresh_database();
    try
        RawEMG().save(sparse(1), 'subject', 1);
    catch
    end
    try
        RawEMG().save(1, 'subject', 1, 'value', 2);
    catch
    end
    RawEMG().save([1 2], 'subject', 1, 'session', 'ok');
    raw = RawEMG().load('subject', 1, 'session', 'ok');
    assert_same(raw.data, [1 2], 'after failures');
    assert_same(numel(RawEMG().list_versions()), 1, 'nothing half-saved');
end

function survives_clear()
    setenv('SCIDB_TEST_DB', fresh_database());
    RawEMG().save(5, 'subject', 1, 'session', 'a');
    clear all;   %#ok<CLALL>  (also clears this function's variables)
    clear mex;
    % The MEX is locked while a database is open, so it is still configured.
    raw = RawEMG().load('subject', 1, 'session', 'a');
    assert_same(raw.data, 5, 'after clear');
    scidb.close_database();
    clear mex;   % unlocked now: unloads
    assert_error(@() RawEMG().load('subject', 1), 'scidb:notConfigured');
    scidb.configure_database(getenv('SCIDB_TEST_DB'), {'subject', 'session'});
    raw = RawEMG().load('subject', 1, 'session', 'a');
    assert_same(raw.data, 5, 'after reopening');
end
