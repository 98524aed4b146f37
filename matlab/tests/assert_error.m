function err = assert_error(fn, id, text)
%ASSERT_ERROR Fail unless FN() raises an error with identifier ID.
%   ASSERT_ERROR(FN, ID, TEXT) also requires TEXT in the message.
    try
        fn();
    catch err
        if ~strcmp(err.identifier, id)
            error('expected error %s, got %s: %s', id, err.identifier, err.message);
        end
        if nargin > 2 && isempty(strfind(err.message, text))
            error('expected "%s" in the message, got: %s', text, err.message);
        end
        return;
    end
    error('expected error %s, but nothing was raised', id);
end
