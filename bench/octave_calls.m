function octave_calls(path, n, big_mb)
%OCTAVE_CALLS Time scalar save/load from Octave and a large matrix save+load.
%   Prints "save_ms <median> load_ms <median> big_save_ms <t> big_load_ms <t>"
%   for N scalar saves and loads (each a new record, as in bench/c) and one
%   save and load of a BIG_MB megabyte double matrix. Run by bench/mex.py.
    here = fileparts(mfilename('fullpath'));
    addpath(fullfile(here, '..', 'matlab'));
    addpath(fullfile(here, '..', 'matlab', 'tests', 'types'));   % Sample
    scidb.configure_database(path, {'subject', 'session'});
    variable = Sample();
    save_ms = zeros(1, n);
    load_ms = zeros(1, n);
    for i = 1:n
        t = tic();
        variable.save((i - 1) * 0.5, 'subject', i - 1, 'session', 'a');
        save_ms(i) = toc(t) * 1e3;
    end
    for i = 1:n
        t = tic();
        loaded = variable.load('subject', i - 1, 'session', 'a');
        load_ms(i) = toc(t) * 1e3;
        if ~isequal(loaded.data, (i - 1) * 0.5)
            error('load returned another value');
        end
    end
    rows = round(sqrt(big_mb * 1e6 / 8));
    big = reshape(1:(rows * rows), rows, rows) * 0.5;
    t = tic();
    variable.save(big, 'subject', -1, 'session', 'big');
    big_save = toc(t) * 1e3;
    t = tic();
    back = variable.load('subject', -1, 'session', 'big');
    big_load = toc(t) * 1e3;
    if ~isequal(back.data, big)
        error('the big matrix came back different');
    end
    scidb.close_database();
    fprintf('save_ms %.4f load_ms %.4f big_save_ms %.1f big_load_ms %.1f big_mb %.1f\n', ...
            median(save_ms), median(load_ms), big_save, big_load, rows * rows * 8 / 1e6);
end
