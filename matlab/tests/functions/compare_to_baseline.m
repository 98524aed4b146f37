function delta = compare_to_baseline(baseline, current)
% The difference of a session from the subject's baseline session.
    delta = current - baseline;
end
