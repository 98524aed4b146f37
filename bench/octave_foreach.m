function octave_foreach(path, n)
%OCTAVE_FOREACH The for_each benchmark's Octave side (run by bench/foreach.py).
%   Saves N one-number inputs, then times scidb.for_each of a trivial
%   function over them (every combination runs) and again (every
%   combination cached), minus the function's own time over the same
%   inputs. Prints "run_ms <t> cached_ms <t> bare_ms <t>".
    here = fileparts(mfilename('fullpath'));
    addpath(fullfile(here, '..', 'matlab'));
    addpath(fullfile(here, '..', 'matlab', 'tests', 'types'));   % RawEMG, FilteredEMG
    scidb.configure_database(path, {'subject'});
    for i = 0:n - 1
        RawEMG().save(i, 'subject', i);
    end
    plus_one = @(x) x + 1;
    t = tic();
    for i = 0:n - 1
        plus_one(i);
    end
    bare = toc(t);
    t = tic();
    r = scidb.for_each(plus_one, struct('x', RawEMG()), {FilteredEMG()}, 'subject', [], 'quiet', true);
    run = toc(t);
    if ~all(strcmp(r.status, 'ran'))
        error('not every combination ran');
    end
    t = tic();
    r = scidb.for_each(plus_one, struct('x', RawEMG()), {FilteredEMG()}, 'subject', [], 'quiet', true);
    cached = toc(t);
    if ~all(strcmp(r.status, 'cached'))
        error('not every combination was cached');
    end
    scidb.close_database();
    fprintf('run_ms %.1f cached_ms %.1f bare_ms %.1f\n', (run - bare) * 1e3, cached * 1e3, bare * 1e3);
end
