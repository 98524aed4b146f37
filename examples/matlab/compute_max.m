function max_val = compute_max(signal)
% The largest absolute value of a signal.
    max_val = max(abs(signal(:)));
end
