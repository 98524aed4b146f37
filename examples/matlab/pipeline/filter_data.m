function filtered = filter_data(values, smoothing)
% A moving average whose window grows with SMOOTHING (0..1).
    width = max(1, round(smoothing * 10));
    filtered = conv(values(:), ones(width, 1) / width, 'same');
end
