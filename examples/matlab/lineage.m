% The seed README's lineage example in MATLAB, with 'name', value pairs so
% it runs on MATLAB and GNU Octave alike, then run again to show the cache:
%
%   octave-cli examples/matlab/lineage.m      (after `make mex`)
here = fileparts(mfilename('fullpath'));
addpath(here);                                       % the types and functions
addpath(fullfile(here, '..', '..', 'matlab'));       % +scidb and the MEX

folder = tempname();
mkdir(folder);
scidb.configure_database(fullfile(folder, 'my_experiment.duckdb'), {'subject', 'session'});
RawEMG().save(randn(1000, 1), 'subject', 1, 'session', 'baseline');

% Lineage-tracked functions
filter_fn = scidb.Thunk(@bandpass_filter);
max_fn = scidb.Thunk(@compute_max);

how = {'ran', 'cached'};   % by result.cached + 1
for run = 1:2
    raw = RawEMG().load('subject', 1, 'session', 'baseline');
    filtered = filter_fn(raw, 20, 450);
    max_val = max_fn(filtered);
    FilteredEMG().save(filtered, 'subject', 1, 'session', 'baseline');
    MaxActivation().save(max_val, 'subject', 1, 'session', 'baseline');
    fprintf('run %d: bandpass_filter %s, compute_max %s, max %.4f\n', run, ...
            how{filtered.cached + 1}, how{max_val.cached + 1}, max_val.data);
end

% "What function produced this, and with what settings?"
provenance = FilteredEMG().provenance('subject', 1, 'session', 'baseline');
fprintf('function_name: %s (%s)\n', provenance.function_name, provenance.language);
fprintf('constants: low_hz=%g, high_hz=%g\n', provenance.constants.low_hz, provenance.constants.high_hz);
fprintf('input: %s from %s record %s\n', provenance.inputs(1).name, provenance.inputs(1).variable, ...
        provenance.inputs(1).record_id);
steps = MaxActivation().upstream_provenance('subject', 1, 'session', 'baseline');
fprintf('upstream of MaxActivation: %d steps (%s <- %s)\n', numel(steps), steps{1}.function_name, ...
        steps{2}.function_name);
scidb.close_database();
