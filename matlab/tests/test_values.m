function tests = test_values()
%TEST_VALUES Every value kind survives save and load with class, shape and content.
    tests = {@numeric_classes_and_shapes, @complex_values, @special_floats, @empties, ...
             @text, @cells, @structs, @struct_arrays, ...
             @tables, @strings, @big_matrix_layout, @metadata_types, @nul_characters};
end

function check_round_trip(value, what)
    % Through the database, and through the conversion alone.
    rid = Sample().save(value, 'subject', 1, 'session', what);
    loaded = Sample().load('subject', 1, 'session', what);
    assert_same(loaded.data, value, what);
    if ~strcmp(loaded.record_id, rid)
        error('%s: record id %s, saved as %s', what, loaded.record_id, rid);
    end
    assert_same(scidb_mex('convert', value), value, [what, ' (convert)']);
end

function numeric_classes_and_shapes()
    fresh_database();
    classes = {'double', 'single', 'int8', 'int16', 'int32', 'int64', ...
               'uint8', 'uint16', 'uint32', 'uint64', 'logical'};
    shapes = {[1 1], [1 5], [5 1], [3 4], [2 3 4]};
    for c = 1:numel(classes)
        for s = 1:numel(shapes)
            n = prod(shapes{s});
            raw = reshape(mod((1:n) * 7, 13), shapes{s});
            if strcmp(classes{c}, 'logical')
                value = raw > 6;
            else
                value = cast(raw, classes{c});
            end
            check_round_trip(value, sprintf('%s_%s', classes{c}, mat2str(shapes{s})));
        end
    end
    % Extremes of the integer classes survive exactly.
    check_round_trip(intmax('int64') - int64([0 1 2]), 'int64_max');
    check_round_trip(intmin('int64') + int64([0 1 2]), 'int64_min');
    check_round_trip(intmax('uint64') - uint64([0 1]), 'uint64_max');
end

function complex_values()
    fresh_database();
    check_round_trip(complex(1.5, -2), 'complex_scalar');
    check_round_trip([1+2i, 3-4i; -5i, 6], 'complex_matrix');
    check_round_trip(single([1+2i; 3-4i; 5]), 'complex_single');
    check_round_trip(complex(zeros(2, 2, 2), ones(2, 2, 2)), 'complex_3d');
end

function special_floats()
    fresh_database();
    check_round_trip([NaN, Inf, -Inf, -0, 0, realmax, realmin, eps], 'double_specials');
    check_round_trip(single([NaN, Inf, -Inf, -0]), 'single_specials');
    check_round_trip(complex(NaN, -Inf), 'complex_specials');
end

function empties()
    fresh_database();
    check_round_trip([], 'null');
    check_round_trip(zeros(0, 3), 'zeros_0x3');
    check_round_trip(zeros(3, 0, 'int16'), 'int16_3x0');
    check_round_trip(true(0, 0), 'logical_0x0');
    check_round_trip({}, 'empty_cell');
    check_round_trip('', 'empty_char');
    check_round_trip(struct(), 'fieldless_struct');
end

function text()
    fresh_database();
    check_round_trip('hello world', 'char');
    check_round_trip('tab\there "quoted" %d', 'char_specials');
    check_round_trip(char([104 195 169 108 108 111]), 'utf8_bytes');   % 'héllo' in Octave's UTF-8 chars
    assert_error(@() Sample().save(['ab'; 'cd'], 'subject', 1), 'scidb:typeMismatch', '2 rows');
end

function cells()
    fresh_database();
    check_round_trip({1, 'two', [3 4 5], {int8(6), 'seven'}, [], true}, 'mixed_cell');
    check_round_trip({{{}}}, 'nested_cells');
    % A column cell is a list too; lists load as rows.
    rid = Sample().save({1; 2}, 'subject', 2);
    loaded = Sample().load('version', rid);
    assert_same(loaded.data, {1, 2}, 'column cell');
    assert_error(@() Sample().save(cell(2, 2), 'subject', 3), 'scidb:typeMismatch', 'cell array');
end

function structs()
    fresh_database();
    s.name = 'trial';
    s.gain = single(2.5);
    s.inner.window = [1 2 3];
    s.inner.flags = [true false];
    s.inner.deeper.note = 'x';
    s.list = {1, 'a'};
    s.empty = [];
    check_round_trip(s, 'nested_struct');
    % Keys that are not field names travel in a containers.Map.
    check_round_trip(containers.Map({'my key', '2x'}, {1.5, 'text'}), 'map_bad_keys');
end

function struct_arrays()
    fresh_database();
    s = struct('x', {1, 2, 3}, 'label', {'a', 'b', 'c'});
    check_round_trip(s, 'struct_array');
    % A column struct array is a list of maps too, and loads as a row.
    rid = Sample().save(s', 'subject', 2);
    loaded = Sample().load('version', rid);
    assert_same(loaded.data, s, 'column struct array');
    % Structs of different fields in a list stay a cell.
    check_round_trip({struct('a', 1), struct('b', 2)}, 'cell_of_structs');
    % An empty struct array would load as an empty cell without its fields.
    assert_error(@() Sample().save(struct('a', {}), 'subject', 3), 'scidb:typeMismatch', ...
                 'empty struct array');
    assert_error(@() Sample().save({1, struct('a', {}, 'b', {})}, 'subject', 3), ...
                 'scidb:typeMismatch', 'data{2}');
    assert_error(@() scidb_mex(['convert', char(0), 'x'], 1), 'scidb:invalidArgument', 'command name');
end

function tables()
    if ~exist('table')
        return;   % Octave: MATLAB tables do not exist; see cross-language tests
    end
    fresh_database();
    t = table([1; 2; 3], int32([4; 5; 6]), {'a'; 'b'; 'c'}, [true; false; true], ...
              'VariableNames', {'x', 'n', 'label', 'flag'});
    check_round_trip(t, 'table');
end

function strings()
    if ~exist('string')
        return;   % Octave 7 has no string class
    end
    fresh_database();
    rid = Sample().save(string('text'), 'subject', 1);
    loaded = Sample().load('version', rid);
    assert_same(loaded.data, 'text', 'string scalar');
end

function big_matrix_layout()
    % The blocked transpose: sizes around its tiles, every element checked.
    fresh_database();
    check_round_trip(reshape(1:(67 * 129), 67, 129), 'odd_matrix');
    check_round_trip(reshape(uint8(mod(1:(40 * 33 * 5), 256)), 40, 33, 5), 'uint8_3d');
end

function metadata_types()
    fresh_database();
    Sample().save(1, 'subject', 1, 'session', 'a');
    % A MATLAB double 1 and an int32 1 are the same metadata value.
    loaded = Sample().load('subject', int32(1), 'session', 'a');
    assert_same(loaded.metadata, struct('subject', 1, 'session', 'a'), 'metadata');
    Sample().save(2, 'subject', 2, 'session', 'a', 'flag', true, 'gain', 0.25);
    loaded = Sample().load('subject', 2);
    assert_same(loaded.metadata, struct('subject', 2, 'session', 'a', 'flag', true, 'gain', 0.25), ...
                'version keys');
end

function nul_characters()
    % Text with a NUL is kept exactly as a value, and refused where C would
    % cut it short (names, keys, paths) instead of being truncated.
    dir = tempname();
    mkdir(dir);
    cleanup = onCleanup(@() rmdir(dir, 's'));
    assert_error(@() scidb.configure_database(fullfile(dir, ['a', char(0), 'b.duckdb']), ...
                                              {'subject'}), 'scidb:invalidArgument', 'NUL');
    if exist(fullfile(dir, 'a'), 'file')
        error('a path with a NUL opened the truncated path');
    end
    fresh_database();
    check_round_trip(['a', char(0), 'b'], 'nul_text');
    assert_error(@() Sample().save(containers.Map({['a', char(0), 'b']}, {1}), 'subject', 1), ...
                 'scidb:invalidArgument', 'NUL');
end
