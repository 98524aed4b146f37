function m = compute_mean(values)
% The mean of a vector of values.
    m = mean(values(:));
end
