% One task of a job array: the seed pipeline's for_each steps (as in
% examples/matlab/pipeline.m) with 'reserve_jobs', true on the shared
% catalog. Every task of the array runs this same script; the combinations
% of each step are shared out among the tasks running it (each runs once,
% whoever runs it), and a task leaves a step only when every combination of
% it is done or failed, so the next step finds all its inputs. Runs on
% MATLAB R2021b+ and GNU Octave 7+.
%
%   SCIDB_CATALOG=postgresql://... SCIDB_DATA=/shared/lab/scidb octave-cli pipeline_task.m
%   SCIDB_CATALOG=... SCIDB_DATA=... matlab -batch "run('pipeline_task.m')"
%
% SCIDB_CATALOG is the catalog URL (keep the password in ~/.pgpass, see
% docs/cluster.md), SCIDB_DATA the payload folder every node mounts at the
% same path; SCIDB_LEASE_SECONDS (default 60) how long a claim holds without
% renewal; SCIDB_MATLAB the folder holding +scidb and the MEX (default
% ../../matlab from here).
here = fileparts(mfilename('fullpath'));
addpath(fullfile(here, '..', 'matlab', 'pipeline'));   % variable types and functions
scidb_matlab = getenv('SCIDB_MATLAB');
if isempty(scidb_matlab)
    scidb_matlab = fullfile(here, '..', '..', 'matlab');
end
addpath(scidb_matlab);

catalog = getenv('SCIDB_CATALOG');
data = getenv('SCIDB_DATA');
if isempty(catalog) || isempty(data)
    error('pipeline:setup', 'set SCIDB_CATALOG (the catalog URL) and SCIDB_DATA (the payload folder)');
end
lease = str2double(getenv('SCIDB_LEASE_SECONDS'));
if isnan(lease)
    lease = 60;
end
if exist('OCTAVE_VERSION', 'builtin')
    pid = getpid();
else
    pid = feature('getpid');
end
task = getenv('SLURM_ARRAY_TASK_ID');
if isempty(task)
    task = '-';
end

scidb.configure_database(catalog, {'subject', 'session', 'trial'}, 'data_path', data);
iterate = {'subject', [1 2 3], 'session', {'pre', 'post'}, 'trial', [1 2 3 4 5]};
shared = {'reserve_jobs', true, 'lease_seconds', lease, 'quiet', true};

steps = {
    'extract_step_length', @extract_step_length, struct('kinematic_data', RawKinematicData()), {StepLength()}
    'compute_mean', @compute_mean, struct('values', StepLength()), {MeanStepLength()}
    'filter_data 0.2', @filter_data, struct('values', RawForce(), 'smoothing', 0.2), {FilteredForce()}
    'filter_data 0.3', @filter_data, struct('values', RawForce(), 'smoothing', 0.3), {FilteredForce()}
};
for k = 1:size(steps, 1)
    result = scidb.for_each(steps{k, 2}, steps{k, 3}, steps{k, 4}, shared{:}, iterate{:});
    % "cached": computed before, or by another task of the array.
    status = result.status;
    if ~iscell(status)
        status = cellstr(status);
    end
    [names, ~, group] = unique(status);
    counts = accumarray(group(:), 1);
    parts = cell(1, numel(names));
    for g = 1:numel(names)
        parts{g} = sprintf('%d %s', counts(g), names{g});
    end
    fprintf('task %s (pid %d) %s: %s\n', task, pid, steps{k, 1}, strjoin(parts, ', '));
end
scidb.close_database();
