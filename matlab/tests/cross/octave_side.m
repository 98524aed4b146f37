function failures = octave_side(action, path)
%OCTAVE_SIDE The Octave half of the cross-language tests (see python_side.py).
%   OCTAVE_SIDE('save', PATH) saves every Octave case into PATH.
%   FAILURES = OCTAVE_SIDE('check', PATH) loads what Python saved into PATH
%   and checks each value's class, size and content against what Octave
%   expects, and, where the value maps one to one, that re-hashing the
%   loaded value gives the stored content hash. Returns the failure
%   messages (empty when all pass).
    scidb.configure_database(path, {'case'});
    failures = {};
    if strcmp(action, 'save')
        cases = octave_cases();
        names = fieldnames(cases);
        for i = 1:numel(names)
            Cross().save(cases.(names{i}), 'case', names{i});
        end
    else
        [cases, same_hash] = expected_from_python();
        names = fieldnames(cases);
        for i = 1:numel(names)
            try
                loaded = Cross().load('case', names{i});
                compare(loaded.data, cases.(names{i}), names{i});
                rehash = scidb_mex('hash', loaded.data);
                if any(strcmp(names{i}, same_hash)) && ~strcmp(rehash, loaded.content_hash)
                    error('%s: re-hashed %s, stored %s', names{i}, rehash, loaded.content_hash);
                end
            catch err
                failures{end + 1} = err.message; %#ok<AGROW>
            end
        end
    end
    scidb.close_database();
end

function compare(actual, expected, what)
    if isa(expected, 'containers.Map')
        if ~isa(actual, 'containers.Map')
            error('%s: class %s, expected containers.Map', what, class(actual));
        end
        keys_e = keys(expected);
        if ~isequal(sort(keys(actual)), sort(keys_e))
            error('%s: keys differ', what);
        end
        for k = 1:numel(keys_e)
            assert_same(actual(keys_e{k}), expected(keys_e{k}), [what, '(', keys_e{k}, ')']);
        end
    else
        assert_same(actual, expected, what);
    end
end

function cases = octave_cases()
    % What Octave saves; python_side.octave_cases() holds what Python must load.
    cases.m_matrix = [1 2 3; 4 5 6];
    cases.m_big_matrix = reshape(0:(400 * 700 - 1), 400, 700);   % over 1 MiB: a payload file
    cases.m_row = [1 2 3];
    cases.m_column = [1; 2];
    cases.m_scalar = 5;
    cases.m_int32_3d = permute(reshape(int32(0:23), [4 3 2]), [3 2 1]);
    cases.m_uint8 = uint8([0 255]);
    cases.m_int64 = [intmin('int64') intmax('int64')];
    cases.m_single = single([0.5; -1.25]);
    cases.m_logical = logical([1 0; 0 1]);
    cases.m_logical_scalar = true;
    cases.m_int16_scalar = int16(-7);
    cases.m_complex = [1+2i, 3-4i];
    cases.m_complex_single = single(1 - 1i);
    cases.m_specials = [NaN Inf -Inf -0];
    cases.m_char = char([104 195 169 108 108 111]);   % 'héllo' as UTF-8 bytes
    cases.m_empty_char = '';
    cases.m_null = [];
    cases.m_zeros_0x3 = zeros(0, 3);
    cases.m_cell = {1, 'two', {3, 'four'}};
    cases.m_struct = struct('name', 'trial', 'gain', single(2.5), 'inner', struct('window', [1 2]));
    cases.m_struct_array = struct('x', {1, 2}, 'label', {'a', 'b'});
end

function [cases, same_hash] = expected_from_python()
    % What Octave must load for each case python_side.python_cases() saves.
    cases.f64_matrix = reshape(0:11, 4, 3)';
    cases.f64_1d = [1.5; 2.5; 3.5];             % 1-d loads as a column
    cases.f64_0d = 2.5;                         % 0-d loads as 1x1
    cases.f64_fortran = [0 1 2; 3 4 5];
    cases.f64_big_fortran = reshape(0:(400 * 700 - 1), 700, 400)';
    cases.py_float = 2.5;
    cases.py_int = int64(7);
    cases.py_bool = true;
    cases.i32_3d = permute(reshape(int32(0:23), [4 3 2]), [3 2 1]);
    cases.i8 = int8([-128 0 127]);
    cases.u8 = uint8([0 1; 254 255]);
    cases.i16 = int16([-3 4]);
    cases.u16 = uint16([65535 1]);
    cases.u32 = uint32([4294967295 2]);
    cases.i64 = [intmin('int64') intmax('int64')];
    cases.u64 = [intmax('uint64') uint64(0)];
    cases.f32 = single([0.5 -1.25]);
    cases.bool = logical([1 0 1]);
    cases.c128 = [1+2i, 3-4i; -5i, 6];
    cases.c64 = single([1+2i, 3]);
    cases.specials = [NaN Inf -Inf -0];
    cases.empty_0x3 = zeros(0, 3);
    cases.text = char([104 195 169 108 108 111]);
    cases.list = {1.5, 'two', int16([3 4])};
    cases.dict = struct('a', 1.5, 'b', struct('c', 'x'));
    cases.list_of_dicts = struct('x', {1.5, 2.5});
    cases.dict_bad_keys = containers.Map({'my key', '2x'}, {1.5, 2.5});
    cases.none = [];
    % A DataFrame is a struct of columns on Octave; the Int64 column with a
    % missing cell is promoted to double with NaN, the missing text is ''.
    % A binary column is a cell of uint8 rows (a missing cell is [] too).
    cases.dataframe = struct('x', [1; 2], 'n', [1; NaN], 's', {{'a'; []}}, ...
                             'b', {{uint8([0 255]); []}});   % a missing text cell is []
    % Values whose Octave form is the same logical value (same hash).
    same_hash = {'f64_matrix', 'f64_0d', 'f64_fortran', 'f64_big_fortran', 'py_float', 'py_int', 'py_bool', ...
                 'i32_3d', 'i8', 'u8', 'i16', 'u16', 'u32', 'i64', 'u64', 'f32', 'bool', ...
                 'c128', 'c64', 'specials', 'empty_0x3', 'text', 'list', 'dict', ...
                 'list_of_dicts', 'none'};
end
