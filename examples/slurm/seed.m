% Saves the seed pipeline's raw data into the catalog, once, before the
% array runs (what an acquisition script would have done; as in
% examples/matlab/pipeline.m). Saving the same values again stores nothing
% new. MATLAB R2021b+ or GNU Octave 7+.
%
%   SCIDB_CATALOG=postgresql://... SCIDB_DATA=/shared/lab/scidb octave-cli seed.m
here = fileparts(mfilename('fullpath'));
addpath(fullfile(here, '..', 'matlab', 'pipeline'));
scidb_matlab = getenv('SCIDB_MATLAB');
if isempty(scidb_matlab)
    scidb_matlab = fullfile(here, '..', '..', 'matlab');
end
addpath(scidb_matlab);

scidb.configure_database(getenv('SCIDB_CATALOG'), {'subject', 'session', 'trial'}, ...
                         'data_path', getenv('SCIDB_DATA'));
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
fprintf('seeded 30 trials of RawKinematicData and RawForce\n');
scidb.close_database();
