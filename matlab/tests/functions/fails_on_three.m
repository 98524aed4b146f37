function out = fails_on_three(signal)
% Fails on the signal of subject 3 (whose first value is 3).
    if signal(1) == 3
        error('test:three', 'subject three is broken');
    end
    out = signal * 2;
end
