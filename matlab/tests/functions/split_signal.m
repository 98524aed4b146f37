function [low, high] = split_signal(signal, cut)
% Two outputs: the values below and above CUT. A negative CUT makes the
% second output a function handle, which cannot be saved.
    low = signal(signal < abs(cut));
    if cut < 0
        high = @sin;
    else
        high = signal(signal >= cut);
    end
end
