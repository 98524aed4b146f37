% The MATLAB example of the scidb README, with 'name', value pairs so it
% runs on MATLAB and GNU Octave alike:
%
%   octave-cli examples/matlab/quickstart.m      (after `make mex`)
%
% RawEMG.m beside this script is the one-line variable type:
%   classdef RawEMG < scidb.BaseVariable, end
here = fileparts(mfilename('fullpath'));
addpath(here);                                       % RawEMG
addpath(fullfile(here, '..', '..', 'matlab'));       % +scidb and the MEX

folder = tempname();
mkdir(folder);
db_path = fullfile(folder, 'my_experiment.duckdb');

% One-time setup
scidb.configure_database(db_path, {'subject', 'session'}, fullfile(folder, 'pipeline.db'));

% Save and load
signal = randn(1000, 1);
record_id = RawEMG().save(signal, 'subject', 1, 'session', 'baseline');
raw = RawEMG().load('subject', 1, 'session', 'baseline');

fprintf('saved record %s\n', record_id);
fprintf('loaded %s of size %s, class %s, metadata:\n', class(raw), mat2str(size(raw.data)), class(raw.data));
disp(raw.metadata);
if ~isequal(raw.data, signal)
    error('the loaded signal differs from the saved one');
end

% A second version of the same location: the newest wins, both are kept.
RawEMG().save(signal * 2, 'subject', 1, 'session', 'baseline');
versions = RawEMG().list_versions('subject', 1, 'session', 'baseline');
newest = RawEMG().load('subject', 1, 'session', 'baseline');
fprintf('%d versions of subject 1 / baseline; the newest has max %.3f\n', numel(versions), ...
        max(newest.data));

% More subjects, then everything at once as columns.
for subject = 2:3
    RawEMG().save(randn(1000, 1), 'subject', subject, 'session', 'baseline');
end
all_raw = RawEMG().load_all('session', 'baseline');
disp(all_raw);
scidb.close_database();
