% The seed README's "What a Full Pipeline Looks Like", on GNU Octave or
% MATLAB, with 'name', value pairs: configure, variable types, three
% for_each steps, load_all with a per-session mean, a changed setting
% re-run beside the first, and provenance.
%
%   octave-cli examples/matlab/pipeline.m      (after `make mex`; `make demo` runs it)
here = fileparts(mfilename('fullpath'));
addpath(fullfile(here, 'pipeline'));                 % variable types and functions
addpath(fullfile(here, '..', '..', 'matlab'));       % +scidb and the MEX

folder = tempname();
mkdir(folder);
db_path = fullfile(folder, 'gait_study.duckdb');

% --- Setup (once per project) ---
scidb.configure_database(db_path, {'subject', 'session', 'trial'}, fullfile(folder, 'pipeline.db'));
fprintf('database: %s\n', db_path);

% --- Raw data, as an acquisition step would save it ---
rand('seed', 42); %#ok<RAND>
for subject = 1:3
    for s = {'pre', 'post'}
        for trial = 1:5
            strikes = cumsum(0.6 + 0.1 * subject + 0.05 * strcmp(s{1}, 'post') + 0.02 * rand(12, 1));
            RawKinematicData().save(strikes, 'subject', subject, 'session', s{1}, 'trial', trial);
            RawForce().save(sin((1:200)' / 10) * 800 + 20 * rand(200, 1), ...
                            'subject', subject, 'session', s{1}, 'trial', trial);
        end
    end
end

% --- Run the pipeline ---
iterate = {'subject', [1 2 3], 'session', {'pre', 'post'}, 'trial', [1 2 3 4 5]};
scidb.for_each(@extract_step_length, struct('kinematic_data', RawKinematicData()), ...
               {StepLength()}, iterate{:});
scidb.for_each(@compute_mean, struct('values', StepLength()), {MeanStepLength()}, iterate{:});
scidb.for_each(@filter_data, struct('values', RawForce(), 'smoothing', 0.2), ...
               {FilteredForce()}, iterate{:});

% --- Analyze results: the mean step length per session ---
df = MeanStepLength().load_all();     % a table on MATLAB, a struct of columns on Octave
session = df.session;
data = df.data;
if iscell(data)
    data = cell2mat(data);
end
[names, ~, group] = unique(session);
means = accumarray(group(:), data(:), [], @mean);
fprintf('\nmean step length by session (m):\n');
for g = 1:numel(names)
    fprintf('  %-5s %.4f\n', names{g}, means(g));
end

% --- Change a setting: the step runs again, both results are kept ---
scidb.for_each(@filter_data, struct('values', RawForce(), 'smoothing', 0.3), ...
               {FilteredForce()}, iterate{:});
filtered_force0_2 = FilteredForce().load('smoothing', 0.2);
filtered_force0_3 = FilteredForce().load('smoothing', 0.3);
fprintf('\nFilteredForce records: %d with smoothing 0.2, %d with smoothing 0.3\n', ...
        numel(filtered_force0_2), numel(filtered_force0_3));

% --- Run it all again: every step is cached ---
scidb.for_each(@extract_step_length, struct('kinematic_data', RawKinematicData()), ...
               {StepLength()}, iterate{:});

% --- Provenance ---
p = FilteredForce().provenance('subject', 2, 'session', 'post', 'trial', 3, 'smoothing', 0.3);
fprintf('\nFilteredForce (subject 2, post, trial 3, smoothing 0.3) was made by %s (%s)\n', ...
        p.function_name, p.language);
fprintf('  constants: smoothing=%g; input %s from %s record %s\n', p.constants.smoothing, ...
        p.inputs(1).name, p.inputs(1).variable, p.inputs(1).record_id);
steps = MeanStepLength().upstream_provenance('subject', 1, 'session', 'pre', 'trial', 1);
chain = cellfun(@(s) s.function_name, steps, 'UniformOutput', false);
fprintf('  MeanStepLength lineage: %s <- RawKinematicData\n', strjoin(chain, ' <- '));
scidb.close_database();
