function tests = test_lineage()
%TEST_LINEAGE scidb.Thunk: lineage, provenance and caching from Octave.
    tests = {@pipeline_runs_each_function_once, @provenance_fields, @several_outputs, ...
             @edited_body_misses, @comment_only_edit_hits, @version_bump_misses, ...
             @resaved_input_misses, @changed_constant_misses, @sin_and_cos_differ, ...
             @constants_select_variants, @signature_names_parameters, @bad_arguments};
end

function run_pipeline()
    filter_fn = scidb.Thunk(@counted_filter);
    max_fn = scidb.Thunk(@counted_max);
    for subject = 1:2
        raw = RawEMG().load('subject', subject, 'session', 'a');
        filtered = filter_fn(raw, 2);
        FilteredEMG().save(filtered, 'subject', subject, 'session', 'a');
        MaxActivation().save(max_fn(filtered), 'subject', subject, 'session', 'a');
    end
end

function pipeline_runs_each_function_once()
    fresh_database();
    reset_runs();
    RawEMG().save([1; 5; 2], 'subject', 1, 'session', 'a');
    RawEMG().save([4; 3], 'subject', 2, 'session', 'a');
    run_pipeline();
    versions = numel(FilteredEMG().list_versions());
    run_pipeline();
    assert_same(counted_runs('counted_filter'), 2, 'filter runs');
    assert_same(counted_runs('counted_max'), 2, 'max runs');
    assert_same(numel(FilteredEMG().list_versions()), versions, 'no new versions on a hit');
    peak = MaxActivation().load('subject', 1, 'session', 'a');
    assert_same(peak.data, 10, 'max of the filtered signal');
end

function provenance_fields()
    fresh_database();
    reset_runs();
    raw_id = RawEMG().save([1; 5; 2], 'subject', 1, 'session', 'a');
    RawEMG().save([4; 3], 'subject', 2, 'session', 'a');
    run_pipeline();
    p = FilteredEMG().provenance('subject', 1, 'session', 'a');
    assert_same(p.function_name, 'counted_filter', 'function_name');
    assert_same(p.language, 'matlab', 'language');
    assert_same(numel(p.function_hash), 64, 'function_hash length');
    assert_same(p.constants.gain, 2, 'constants');
    assert_same(p.inputs(1).name, 'signal', 'input name');
    assert_same(p.inputs(1).variable, 'RawEMG', 'input variable');
    assert_same(p.inputs(1).record_id, raw_id, 'input record');
    steps = MaxActivation().upstream_provenance('subject', 1, 'session', 'a');
    assert_same(numel(steps), 2, 'upstream steps');
    assert_same(steps{1}.function_name, 'counted_max', 'first step');
    assert_same(steps{2}.function_name, 'counted_filter', 'second step');
    assert_same(steps{1}.inputs(1).variable, 'FilteredEMG', 'chained through the saved result');
    assert_same(RawEMG().provenance('subject', 1, 'session', 'a'), [], 'no lineage for a plain save');
end

function several_outputs()
    fresh_database();
    reset_runs();
    raw = RawEMG().load('version', RawEMG().save([3; 9; 4], 'subject', 1, 'session', 'a'));
    max_fn = scidb.Thunk(@counted_max, 'unpack_output', true);
    [peak, where] = max_fn(raw);
    assert_same(peak.data, 9, 'first output');
    assert_same(where.data, 2, 'second output');
    MaxActivation().save(peak, 'subject', 1, 'session', 'a');
    Sample().save(where, 'subject', 1, 'session', 'a');
    [peak, where] = max_fn(raw);
    assert(peak.cached && where.cached, 'both outputs come from the cache');
    assert_same(counted_runs('counted_max'), 1, 'max runs');
    assert_same(Sample().provenance('subject', 1, 'session', 'a').output_index, 1, 'output index');
end

function path = write_function(folder, name, body)
    path = fullfile(folder, [name, '.m']);
    fid = fopen(path, 'w');
    fprintf(fid, '%s', body);
    fclose(fid);
    clear(name);   % make Octave/MATLAB parse the new text
end

function [t, folder] = temp_function(name, body)
    folder = tempname();
    mkdir(folder);
    addpath(folder);
    write_function(folder, name, body);
    t = scidb.Thunk(str2func(name));
end

function cached = call_and_save(t, input, variable, varargin)
    result = t(input, varargin{:});
    variable.save(result, 'subject', 1, 'session', 'a');
    cached = result.cached;
end

function edited_body_misses()
    fresh_database();
    raw = RawEMG().load('version', RawEMG().save([1; 2], 'subject', 1, 'session', 'a'));
    [~, folder] = temp_function('scidb_tmp_fn', sprintf('function y = scidb_tmp_fn(x)\n    y = x + 1;\nend\n'));
    cleanup = onCleanup(@() rmpath(folder));
    assert(~call_and_save(scidb.Thunk(@scidb_tmp_fn), raw, FilteredEMG()), 'first call runs');
    assert(call_and_save(scidb.Thunk(@scidb_tmp_fn), raw, FilteredEMG()), 'same code hits');
    write_function(folder, 'scidb_tmp_fn', sprintf('function y = scidb_tmp_fn(x)\n    y = x + 10;\nend\n'));
    t = scidb.Thunk(@scidb_tmp_fn);
    result = t(raw);
    assert(~result.cached, 'an edited body runs again');
    assert_same(result.data, [11; 12], 'the edited body ran');
end

function comment_only_edit_hits()
    fresh_database();
    raw = RawEMG().load('version', RawEMG().save([1; 2], 'subject', 1, 'session', 'a'));
    [~, folder] = temp_function('scidb_tmp_fn2', sprintf('function y = scidb_tmp_fn2(x)\n    y = x + 1;\nend\n'));
    cleanup = onCleanup(@() rmpath(folder));
    assert(~call_and_save(scidb.Thunk(@scidb_tmp_fn2), raw, FilteredEMG()), 'first call runs');
    write_function(folder, 'scidb_tmp_fn2', sprintf(['function y = scidb_tmp_fn2(x)\n', ...
        '%% adds one\n    y   =  x + 1;   %% really\n\n%%{\nblock\n%%}\nend\n']));
    assert(call_and_save(scidb.Thunk(@scidb_tmp_fn2), raw, FilteredEMG()), ...
           'comments and spacing do not change the identity');
end

function version_bump_misses()
    fresh_database();
    reset_runs();
    raw = RawEMG().load('version', RawEMG().save([1; 2], 'subject', 1, 'session', 'a'));
    assert(~call_and_save(scidb.Thunk(@counted_filter, 'version', '1'), raw, FilteredEMG(), 3), 'v1 runs');
    assert(call_and_save(scidb.Thunk(@counted_filter, 'version', '1'), raw, FilteredEMG(), 3), 'v1 hits');
    assert(~call_and_save(scidb.Thunk(@counted_filter, 'version', '2'), raw, FilteredEMG(), 3), 'v2 runs');
    assert_same(counted_runs('counted_filter'), 2, 'runs');
end

function resaved_input_misses()
    fresh_database();
    t = scidb.Thunk(@counted_filter);
    reset_runs();
    RawEMG().save([1; 2], 'subject', 1, 'session', 'a');
    call_and_save(t, RawEMG().load('subject', 1, 'session', 'a'), FilteredEMG(), 3);
    RawEMG().save([7; 8], 'subject', 1, 'session', 'a');
    assert(~call_and_save(t, RawEMG().load('subject', 1, 'session', 'a'), FilteredEMG(), 3), ...
           'new input content runs again');
    assert_same(FilteredEMG().load('subject', 1, 'session', 'a').data, [21; 24], 'newest result');
    assert_same(numel(FilteredEMG().list_versions()), 2, 'the earlier result is kept');
end

function changed_constant_misses()
    fresh_database();
    t = scidb.Thunk(@counted_filter);
    raw = RawEMG().load('version', RawEMG().save([1; 2], 'subject', 1, 'session', 'a'));
    assert(~call_and_save(t, raw, FilteredEMG(), 2), 'gain 2 runs');
    assert(~call_and_save(t, raw, FilteredEMG(), 3), 'gain 3 runs');
    assert(call_and_save(t, raw, FilteredEMG(), 2), 'gain 2 again hits');
end

function sin_and_cos_differ()
    fresh_database();
    raw = RawEMG().load('version', RawEMG().save([0; 1], 'subject', 1, 'session', 'a'));
    folder = tempname();
    mkdir(folder);
    addpath(folder);
    cleanup = onCleanup(@() rmpath(folder));
    write_function(folder, 'scidb_wave', sprintf('function y = scidb_wave(x)\n    y = sin(x);\nend\n'));
    first = scidb.Thunk(@scidb_wave);
    a = first(raw);
    FilteredEMG().save(a, 'subject', 1, 'session', 'a');
    write_function(folder, 'scidb_wave', sprintf('function y = scidb_wave(x)\n    y = cos(x);\nend\n'));
    second = scidb.Thunk(@scidb_wave);
    b = second(raw);
    assert(~b.cached, 'cos is not sin');
    assert_same(b.data, cos([0; 1]), 'cos ran');
end

function constants_select_variants()
    fresh_database();
    t = scidb.Thunk(@counted_filter);
    raw = RawEMG().load('version', RawEMG().save([1; 2], 'subject', 1, 'session', 'a'));
    FilteredEMG().save(t(raw, 2), 'subject', 1, 'session', 'a');
    FilteredEMG().save(t(raw, 3), 'subject', 1, 'session', 'a');
    assert_error(@() FilteredEMG().load('subject', 1, 'session', 'a'), 'scidb:ambiguous', 'gain');
    assert_same(FilteredEMG().load('gain', 3).data, [3; 6], 'gain 3');
    assert_same(FilteredEMG().load('gain', 2).data, [2; 4], 'gain 2');
end

function signature_names_parameters()
    sig = scidb_mex('matlab_signature', sprintf('%% comment\nfunction [a, b] = f(x, y, varargin)\n'));
    assert_same(sig.name, 'f', 'name');
    assert_same(sig.inputs, {'x', 'y', 'varargin'}, 'inputs');
    t = scidb.Thunk(@counted_filter);
    assert_same(t.parameters, {'signal', 'gain'}, 'parameters of counted_filter');
end

function bad_arguments()
    assert_error(@() scidb.Thunk(42), 'scidb:invalidArgument', 'function handle');
    assert_error(@() scidb.Thunk(@sin, 'colour', 1), 'scidb:invalidArgument', 'colour');
    assert_error(@() scidb_mex('call_lookup', 5), 'scidb:notConfigured', 'configure_database');
    fresh_database();
    assert_error(@() scidb_mex('call_lookup', 5), 'scidb:invalidArgument', 'scalar struct');
    assert_error(@() scidb_mex('call_save', struct(), 0, 'X', {}, 1, false), 'scidb:invalidArgument', 'index');
    assert_error(@() scidb_mex('matlab_signature', 'x = 1;'), 'scidb:invalidArgument', 'function');
    assert_error(@() scidb_mex('provenance', 'no-such-record'), 'scidb:notFound', 'no-such-record');
end
