function tests = test_versions()
%TEST_VERSIONS Versions, variants and queries behave as in Python.
    tests = {@newest_wins, @same_save_keeps_id, @partial_keys_return_arrays, @lists_mean_any_of, ...
             @variants_need_choosing, @reserved_keys_rejected, @reopen_with_other_keys, ...
             @not_found_and_not_configured, @load_all_columns, @list_versions_in_order, ...
             @string_names_from_name_value_syntax};
end

function newest_wins()
    fresh_database();
    first = RawEMG().save([1 2 3], 'subject', 1, 'session', 'baseline');
    second = RawEMG().save([4 5 6], 'subject', 1, 'session', 'baseline');
    raw = RawEMG().load('subject', 1, 'session', 'baseline');
    assert_same(raw.data, [4 5 6], 'newest');
    assert_same(raw.record_id, second, 'record id');
    old = RawEMG().load('version', first);
    assert_same(old.data, [1 2 3], 'by version');
    if ~isa(raw, 'RawEMG')
        error('load returned a %s', class(raw));
    end
end

function same_save_keeps_id()
    fresh_database();
    a = RawEMG().save([1 2 3], 'subject', 1, 'session', 'a');
    RawEMG().save([9 9], 'subject', 1, 'session', 'a');
    b = RawEMG().save([1 2 3], 'subject', 1, 'session', 'a');
    assert_same(b, a, 'id of an identical save');
    assert_same(numel(RawEMG().list_versions('subject', 1)), 2, 'versions');
    raw = RawEMG().load('subject', 1, 'session', 'a');
    assert_same(raw.data, [1 2 3], 'identical save is newest again');
end

function partial_keys_return_arrays()
    fresh_database();
    RawEMG().save(1, 'subject', 1, 'session', 'a');
    RawEMG().save(2, 'subject', 1, 'session', 'b');
    RawEMG().save(3, 'subject', 2, 'session', 'a');
    found = RawEMG().load('subject', 1);
    assert_same(size(found), [1 2], 'two locations');
    assert_same(sort([found.data]), [1 2], 'their data');
    if ~isa(found, 'RawEMG')
        error('load returned a %s', class(found));
    end
end

function lists_mean_any_of()
    fresh_database();
    for s = 1:3
        RawEMG().save(s * 10, 'subject', s, 'session', 'a');
    end
    found = RawEMG().load('subject', [1 3]);
    assert_same(sort([found.data]), [10 30], 'numeric list');
    found = RawEMG().load('session', {'a', 'zzz'}, 'subject', 2);
    assert_same(found.data, 20, 'cell list');
end

function variants_need_choosing()
    fresh_database();
    RawEMG().save([1 1], 'subject', 1, 'session', 'a', 'smoothing', 0.2);
    RawEMG().save([2 2], 'subject', 1, 'session', 'a', 'smoothing', 0.3);
    assert_error(@() RawEMG().load('subject', 1, 'session', 'a'), 'scidb:ambiguous', 'smoothing');
    chosen = RawEMG().load('subject', 1, 'session', 'a', 'smoothing', 0.3);
    assert_same(chosen.data, [2 2], 'variant 0.3');
    all_of_02 = RawEMG().load('smoothing', 0.2);
    assert_same(all_of_02.data, [1 1], 'variant 0.2');
end

function reserved_keys_rejected()
    fresh_database();
    assert_error(@() RawEMG().save(1, 'subject', 1, 'record_id', 'x'), 'scidb:reservedKey', 'record_id');
    assert_error(@() RawEMG().save(1, 'subject', 1, 'data', 2), 'scidb:reservedKey', 'data');
    assert_error(@() RawEMG().save(1, 'bad key', 1), 'scidb:invalidArgument', 'bad key');
end

function reopen_with_other_keys()
    path = fresh_database({'subject', 'session'});
    RawEMG().save(1, 'subject', 1, 'session', 'a');
    scidb.close_database();
    assert_error(@() scidb.configure_database(path, {'subject'}), 'scidb:schemaMismatch', 'subject');
    scidb.configure_database(path, {'subject', 'session'});
    raw = RawEMG().load('subject', 1, 'session', 'a');
    assert_same(raw.data, 1, 'after reopening');
end

function not_found_and_not_configured()
    fresh_database();
    RawEMG().save(1, 'subject', 1, 'session', 'a');
    assert_error(@() RawEMG().load('subject', 99), 'scidb:notFound', 'subject=99');
    assert_error(@() FilteredEMG().load('subject', 1), 'scidb:notFound', 'FilteredEMG');
    assert_same(numel(FilteredEMG().list_versions()), 0, 'versions of a type never saved');
    scidb.close_database();
    assert_error(@() RawEMG().load('subject', 1), 'scidb:notConfigured', 'configure_database');
end

function load_all_columns()
    fresh_database();
    RawEMG().save(0.5, 'subject', 1, 'session', 'a');
    RawEMG().save(1.5, 'subject', 2, 'session', 'b');
    RawEMG().save(2.5, 'subject', 3, 'session', 'a', 'smoothing', 0.2);
    t = RawEMG().load_all();
    if exist('table')
        t = table2struct(t, 'ToScalar', true);
    end
    assert_same(fieldnames(t)', {'subject', 'session', 'smoothing', 'data'}, 'columns');
    [~, order] = sort(t.subject);
    assert_same(t.subject(order), [1; 2; 3], 'subject');
    assert_same(t.session(order), {'a'; 'b'; 'a'}, 'session');
    assert_same(t.smoothing(order), [NaN; NaN; 0.2], 'smoothing');
    assert_same(t.data(order), [0.5; 1.5; 2.5], 'data');
    % Mixed data make a cell column; a query narrows the rows.
    RawEMG().save([1 2], 'subject', 4, 'session', 'a');
    t = RawEMG().load_all('session', 'a');
    if exist('table')
        t = table2struct(t, 'ToScalar', true);
    end
    assert_same(numel(t.data), 3, 'rows of session a');
    if ~iscell(t.data)
        error('mixed data should be a cell column');
    end
    % A type never saved has no records: an empty result, not an error.
    t = Sample().load_all();
    if exist('table')
        t = table2struct(t, 'ToScalar', true);
    end
    assert_same(numel(t.data), 0, 'rows of a type never saved');
    % Columns in the core's one order, whatever order records list keys in:
    % schema keys first, then the others sorted (as Python's DataFrame).
    RawForce().save(1, 'subject', 5, 'zeta', 1);
    RawForce().save(2, 'subject', 6, 'session', 'x', 'alpha', 2);
    t = RawForce().load_all();
    if exist('table')
        t = table2struct(t, 'ToScalar', true);
    end
    assert_same(fieldnames(t)', {'subject', 'session', 'alpha', 'zeta', 'data'}, 'column order');
end

function list_versions_in_order()
    fresh_database();
    ids = cell(1, 3);
    for k = 1:3
        ids{k} = RawEMG().save(k, 'subject', 1, 'session', 'a');
    end
    versions = RawEMG().list_versions('subject', 1, 'session', 'a');
    assert_same({versions.record_id}, ids, 'oldest first');
    if ~all(diff([versions.version]) > 0)
        error('versions do not increase');
    end
    if isfield(versions, 'data')
        error('list_versions carries no data');
    end
end

function string_names_from_name_value_syntax()
    % MATLAB turns name=value into a string name; the gateway accepts both.
    fresh_database();
    if exist('string')
        name = string('subject');
    else
        name = 'subject';
    end
    RawEMG().save(7, name, 1, 'session', 'a');
    raw = RawEMG().load(name, 1);
    assert_same(raw.data, 7, 'string-named pairs');
end
