function tests = test_inspect()
%TEST_INSPECT scidb.status (per-step current and stale outputs, with a
%changed function) and scidb.graph (the pipeline picture), including a
%pipeline whose steps are in two languages.
    tests = {@status_counts_stale_outputs, @status_of_a_changed_function, ...
             @graph_writes_svg_html_and_dot, @cross_language_graph};
end

function run_filter(smoothing)
    scidb.for_each(@filter_data, struct('values', RawForce(), 'smoothing', smoothing), ...
                   {FilteredForce()}, 'subject', [1 2 3], 'session', {'a'}, 'quiet', true);
end

function seed()
    fresh_database();
    for s = 1:3
        RawForce().save([1; 2; 3] * s, 'subject', s, 'session', 'a');
    end
    run_filter(0.2);
end

function status_counts_stale_outputs()
    seed();
    steps = scidb.status();
    assert_same(numel(steps), 1, 'one step');
    assert_same({steps(1).function_name, steps(1).language, steps(1).output}, ...
                {'filter_data', 'matlab', 'FilteredForce'}, 'the step');
    assert_same([steps(1).outputs, steps(1).current, steps(1).stale], [3 3 0], 'all current');
    RawForce().save([9; 9; 9], 'subject', 2, 'session', 'a');
    steps = scidb.status();
    assert_same([steps(1).outputs, steps(1).current, steps(1).stale], [3 2 1], 'one stale');
    stale = steps(1).stale_outputs;
    assert_same(stale(1).metadata.subject, 2, 'the stale combination');
    assert_same(stale(1).reason, 'newer_input', 'why');
    assert_same(stale(1).input, 'values', 'which input');
end

function status_of_a_changed_function()
    seed();
    steps = scidb.status(@filter_data);
    assert_same([steps(1).current, steps(1).stale], [3 0], 'the same function');
    steps = scidb.status(scidb.Thunk(@filter_data, 'version', '2'));
    assert_same([steps(1).current, steps(1).stale], [0 3], 'another version');
    assert_same(steps(1).stale_outputs(1).reason, 'function_changed', 'why');
    assert_error(@() scidb.status(42), 'scidb:invalidArgument');
end

function graph_writes_svg_html_and_dot()
    seed();
    folder = tempname();
    mkdir(folder);
    exts = {'svg', 'html', 'dot'};
    for i = 1:numel(exts)
        path = fullfile(folder, ['pipeline.' exts{i}]);
        assert_same(scidb.graph(path), path, 'the path is returned');
        text = fileread(path);
        labels = {'RawForce', 'FilteredForce', 'filter_data (matlab)', 'smoothing=0.2'};
        for j = 1:numel(labels)
            if isempty(strfind(text, labels{j}))
                error('%s lacks %s', exts{i}, labels{j});
            end
        end
    end
    dot = scidb.graph();
    if isempty(strfind(dot, '"v:RawForce" -> '))
        error('no edge from RawForce: %s', dot);
    end
    assert_error(@() scidb.graph(fullfile(folder, 'x.png')), 'scidb:invalidArgument');
end

function cross_language_graph()
    % An Octave-saved input, a Python step, then an Octave step: one graph.
    folder = tempname();
    mkdir(folder);
    path = fullfile(folder, 'cross.duckdb');
    scidb.configure_database(path, {'subject', 'session'});
    RawEMG().save([1; 4; 2], 'subject', 1, 'session', 'a');
    scidb.close_database();
    python = getenv('SCIDB_PYTHON');
    if isempty(python)
        python = 'python3';
    end
    script = fullfile(fileparts(mfilename('fullpath')), 'cross', 'python_chain.py');
    [status, output] = system(sprintf('"%s" "%s" "%s" 2>&1', python, script, path));
    if status ~= 0
        error('python_chain.py failed: %s', output);
    end
    scidb.configure_database(path, {'subject', 'session'});
    scaled = Scaled().load('subject', 1, 'session', 'a');
    max_fn = scidb.Thunk(@counted_max);
    MaxActivation().save(max_fn(scaled), 'subject', 1, 'session', 'a');
    dot = scidb.graph();
    wanted = {'scale (python)', 'counted_max (matlab)', 'factor=3', '"v:RawEMG" -> ', '"v:Scaled" -> '};
    for j = 1:numel(wanted)
        if isempty(strfind(dot, wanted{j}))
            error('the graph lacks %s:\n%s', wanted{j}, dot);
        end
    end
    steps = scidb.status();
    assert_same(numel(steps), 2, 'two steps in two languages');
    assert_same(sort({steps.language}), {'matlab', 'python'}, 'both languages');
end
