function tests = test_for_each()
%TEST_FOR_EACH scidb.for_each on Octave: the seed's examples and the
%engine's guarantees (cached re-runs, skips, failures, all-or-none saves).
    tests = {@seed_example_and_rerun_is_cached, @fixed_input, @smoothing_variants, ...
             @resaved_input_reruns_only_its_combinations, @missing_inputs_are_skipped, ...
             @failure_is_logged_and_others_saved, @several_outputs_all_or_none, @dry_run_runs_nothing, ...
             @empty_list_means_every_value, @bad_arguments, @shared_jobs_listed_and_cleared};
end

function save_raw(subjects, sessions)
    for s = subjects
        for k = 1:numel(sessions)
            RawEMG().save([s; k; 10 * s + k], 'subject', s, 'session', sessions{k});
        end
    end
end

function seed_example_and_rerun_is_cached()
    fresh_database();
    reset_runs();
    save_raw(1:5, {'baseline', 'post'});
    r = scidb.for_each(@counted_filter, struct('signal', RawEMG(), 'gain', 3), {FilteredEMG()}, ...
                       'subject', [1 2 3 4 5], 'session', {'baseline', 'post'}, 'quiet', true);
    assert_same(r.status, repmat({'ran'}, 10, 1), 'first run');
    assert_same(counted_runs('counted_filter'), 10, 'runs');
    f = FilteredEMG().load('subject', 4, 'session', 'post');
    assert_same(f.data, [12; 6; 126], 'saved output');
    assert_same(f.metadata.gain, 3, 'the constant is a metadata key');
    assert_same(r.FilteredEMG_record_id{8}, f.record_id, 'record ids in the result (subject 4, post)');
    again = scidb.for_each(@counted_filter, struct('signal', RawEMG(), 'gain', 3), {FilteredEMG()}, ...
                           'subject', [1 2 3 4 5], 'session', {'baseline', 'post'}, 'quiet', true);
    assert_same(again.status, repmat({'cached'}, 10, 1), 'second run');
    assert_same(counted_runs('counted_filter'), 10, 'nothing ran again');
    p = FilteredEMG().provenance('subject', 1, 'session', 'baseline');
    assert_same(p.function_name, 'counted_filter', 'lineage of a for_each output');
    assert_same(p.inputs(1).variable, 'RawEMG', 'input variable');
    scidb.for_each(@counted_filter, struct('signal', RawEMG(), 'gain', 4), {FilteredEMG()}, ...
                   'subject', [1 2 3 4 5], 'session', {'baseline', 'post'}, 'quiet', true);
    assert_same(counted_runs('counted_filter'), 20, 'a changed constant re-runs all');
end

function fixed_input()
    fresh_database();
    save_raw(1:2, {'baseline', 'post_1', 'post_2'});
    r = scidb.for_each(@compare_to_baseline, ...
                       struct('baseline', scidb.Fixed(RawEMG(), 'session', 'baseline'), 'current', RawEMG()), ...
                       {Delta()}, 'subject', [1 2], 'session', {'post_1', 'post_2'}, 'quiet', true);
    assert_same(r.status, repmat({'ran'}, 4, 1), 'statuses');
    d = Delta().load('subject', 2, 'session', 'post_2');
    assert_same(d.data, [0; 2; 2], 'post_2 minus baseline');
end

function smoothing_variants()
    fresh_database();
    for s = 1:2
        RawForce().save((1:6)' * s, 'subject', s, 'session', 'pre');
    end
    scidb.for_each(@filter_data, struct('values', RawForce(), 'smoothing', 0.2), {FilteredForce()}, ...
                   'subject', [1 2], 'session', {'pre'}, 'quiet', true);
    scidb.for_each(@filter_data, struct('values', RawForce(), 'smoothing', 0.3), {FilteredForce()}, ...
                   'subject', [1 2], 'session', {'pre'}, 'quiet', true);
    a = FilteredForce().load('smoothing', 0.2);
    b = FilteredForce().load('smoothing', 0.3);
    assert_same(numel(a), 2, 'every subject at smoothing 0.2');
    assert_same(numel(b), 2, 'every subject at smoothing 0.3');
    assert_same(a(1).data, filter_data((1:6)', 0.2), 'smoothing 0.2 result');
    assert_same(b(1).data, filter_data((1:6)', 0.3), 'smoothing 0.3 result');
end

function resaved_input_reruns_only_its_combinations()
    fresh_database();
    reset_runs();
    save_raw(1:3, {'a'});
    args = {struct('signal', RawEMG(), 'gain', 2), {FilteredEMG()}, 'subject', [1 2 3], 'session', {'a'}, ...
            'quiet', true};
    scidb.for_each(@counted_filter, args{:});
    RawEMG().save([7; 7; 7], 'subject', 2, 'session', 'a');
    r = scidb.for_each(@counted_filter, args{:});
    assert_same(r.status, {'cached'; 'ran'; 'cached'}, 'only subject 2 runs');
    assert_same(counted_runs('counted_filter'), 4, 'runs');
end

function missing_inputs_are_skipped()
    fresh_database();
    save_raw([1 3], {'a'});
    r = scidb.for_each(@counted_filter, struct('signal', RawEMG(), 'gain', 2), {FilteredEMG()}, ...
                       'subject', [1 2 3], 'session', {'a'}, 'quiet', true);
    assert_same(r.status, {'ran'; 'skipped'; 'ran'}, 'statuses');
    assert(~isempty(strfind(r.message{2}, 'subject=2')), 'the reason names the location: %s', r.message{2});
end

function failure_is_logged_and_others_saved()
    fresh_database();
    save_raw(1:4, {'a'});
    r = scidb.for_each(@fails_on_three, struct('signal', RawEMG()), {FilteredEMG()}, ...
                       'subject', [1 2 3 4], 'session', {'a'}, 'quiet', true);
    assert_same(r.status, {'ran'; 'ran'; 'failed'; 'ran'}, 'statuses');
    assert(~isempty(strfind(r.message{3}, 'subject three is broken')), 'message: %s', r.message{3});
    assert_same(numel(FilteredEMG().load_all().subject), 3, 'the others are saved');
    log = jsondecode(scidb_mex('run_log', 0));
    if isstruct(log)
        log = num2cell(log);
    end
    assert_same(log{3}.status, 'failed', 'run log status');
    assert(~isempty(strfind(log{3}.message, 'subject three is broken')), 'run log message');
end

function several_outputs_all_or_none()
    fresh_database();
    RawEMG().save([1; 5; 2; 8], 'subject', 1, 'session', 'a');
    RawEMG().save([1; 5; 2; 8], 'subject', 2, 'session', 'a');
    r = scidb.for_each(@split_signal, struct('signal', RawEMG(), 'cut', 3), {FilteredEMG(), Sample()}, ...
                       'subject', [1 2], 'session', {'a'}, 'quiet', true);
    assert_same(r.status, {'ran'; 'ran'}, 'two outputs');
    assert_same(Sample().load('subject', 1, 'session', 'a').data, [5; 8], 'second output');
    % The second output cannot be saved: neither is.
    r = scidb.for_each(@split_signal, struct('signal', RawEMG(), 'cut', -3), {FilteredEMG(), Sample()}, ...
                       'subject', [1], 'session', {'a'}, 'quiet', true);
    assert_same(r.status, {'failed'}, 'an unsavable output fails the combination');
    assert_error(@() FilteredEMG().load('subject', 1, 'session', 'a', 'cut', -3), 'scidb:notFound', 'FilteredEMG');
end

function dry_run_runs_nothing()
    fresh_database();
    reset_runs();
    save_raw(1:2, {'a'});
    r = scidb.for_each(@counted_filter, struct('signal', RawEMG(), 'gain', 2), {FilteredEMG()}, ...
                       'subject', [1 2 3], 'session', {'a'}, 'dry_run', true, 'quiet', true);
    assert_same(r.status, {'to_run'; 'to_run'; 'skipped'}, 'statuses');
    assert_same(counted_runs('counted_filter'), 0, 'nothing ran');
    assert_error(@() FilteredEMG().load('subject', 1), 'scidb:notFound', 'FilteredEMG');
end

function empty_list_means_every_value()
    fresh_database();
    save_raw([2 5], {'x', 'y'});
    r = scidb.for_each(@counted_filter, struct('signal', RawEMG(), 'gain', 1), {FilteredEMG()}, ...
                       'subject', [], 'session', {}, 'quiet', true);
    assert_same(numel(r.status), 4, 'every subject and session in the database');
    assert_same(sort(unique(r.subject))', [2 5], 'subjects');
end

function bad_arguments()
    fresh_database();
    assert_error(@() scidb.for_each(@counted_filter, 5, {FilteredEMG()}, 'subject', 1), ...
                 'scidb:invalidArgument', 'inputs must be a struct');
    assert_error(@() scidb.for_each(@counted_filter, struct('signal', {{1, 2}}), {FilteredEMG()}, 'subject', 1), ...
                 'scidb:invalidArgument', 'signal');
    assert_error(@() scidb.for_each(@counted_filter, struct('signal', RawEMG()), {5}, 'subject', 1), ...
                 'scidb:invalidArgument', 'outputs');
    assert_error(@() scidb.for_each(@counted_filter, struct('signal', RawEMG()), {FilteredEMG()}, 'subject'), ...
                 'scidb:invalidArgument', 'pairs');
    assert_error(@() scidb_mex('foreach_next', 1, 1), 'scidb:invalidArgument', 'no for_each run');
end

function shared_jobs_listed_and_cleared()
    fresh_database();
    save_raw(1:2, {'a'});
    r = scidb.for_each(@counted_filter, struct('signal', RawEMG(), 'gain', 3), {FilteredEMG()}, ...
                       'subject', [1 2], 'session', {'a'}, 'reserve_jobs', true, 'lease_seconds', 5, ...
                       'quiet', true);
    assert_same(r.status, {'ran'; 'ran'}, 'statuses');
    if strcmp(getenv('SCIDB_TEST_CATALOG'), 'postgres')
        j = scidb.jobs();
        assert_same(numel(j), 2, 'a job per combination');
        assert_same(sort({j.status}), {'done', 'done'}, 'job statuses');
        assert_same(scidb.clear_jobs('failed'), 0, 'no failed job');
        assert_same(scidb.clear_jobs('done'), 2, 'done jobs cleared');
    else
        assert_same(scidb.clear_jobs(), 0, 'a DuckDB file has no jobs');
    end
    assert_same(numel(scidb.jobs()), 0, 'no job left');
    assert_error(@() scidb.clear_jobs('finished'), 'scidb:invalidArgument', 'not one of');
    assert_error(@() scidb.clear_jobs(5), 'scidb:invalidArgument', 'job status');
end
