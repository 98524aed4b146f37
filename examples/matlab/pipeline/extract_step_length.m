function step_lengths = extract_step_length(kinematic_data)
% Step lengths (m) from heel-strike positions: the distance between
% consecutive heel strikes along the walkway.
    step_lengths = diff(kinematic_data(:));
end
