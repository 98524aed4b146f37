function assert_same(actual, expected, what)
%ASSERT_SAME Fail unless ACTUAL equals EXPECTED in class, size and content.
%   NaN equals NaN; floating values must match bit for bit (so -0 and 0
%   differ); structs and cells are compared element by element.
    if nargin < 3
        what = 'value';
    end
    if ~strcmp(class(actual), class(expected))
        error('%s: class %s, expected %s', what, class(actual), class(expected));
    end
    if ~isequal(size(actual), size(expected))
        error('%s: size %s, expected %s', what, mat2str(size(actual)), mat2str(size(expected)));
    end
    if isnumeric(actual) && ~isreal(actual) ~= ~isreal(expected)
        error('%s: complexity differs', what);
    end
    if isa(actual, 'containers.Map')
        assert_same(keys(actual), keys(expected), [what, ' keys']);
        assert_same(values(actual), values(expected), [what, ' values']);
    elseif iscell(actual)
        for i = 1:numel(actual)
            assert_same(actual{i}, expected{i}, sprintf('%s{%d}', what, i));
        end
    elseif isstruct(actual)
        fa = fieldnames(actual);
        fe = fieldnames(expected);
        if ~isequal(fa, fe)
            error('%s: fields {%s}, expected {%s}', what, strjoin(fa', ', '), strjoin(fe', ', '));
        end
        for i = 1:numel(actual)
            for k = 1:numel(fa)
                assert_same(actual(i).(fa{k}), expected(i).(fa{k}), ...
                            sprintf('%s(%d).%s', what, i, fa{k}));
            end
        end
    elseif isfloat(actual)
        if ~isequal(bits(actual), bits(expected))
            error('%s: values differ: %s vs %s', what, mat2str(actual), mat2str(expected));
        end
    elseif ~isequal(actual, expected)
        error('%s: values differ', what);
    end
end

function b = bits(x)
    % The bit patterns of real and imaginary parts, so NaN, -0 compare exactly.
    if isa(x, 'double')
        t = 'uint64';
    else
        t = 'uint32';
    end
    b = [typecast(real(x(:)), t); typecast(imag(x(:)), t)];
end
