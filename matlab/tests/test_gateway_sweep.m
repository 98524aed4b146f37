function tests = test_gateway_sweep()
%TEST_GATEWAY_SWEEP Every command of the MEX gateway, read from its command
%table in scidb_mex.c (so a new command cannot be missed), called with
%wrong argument counts and with hostile values in each position (NaN, Inf,
%negative, fractional and huge numbers, empty and odd types, stale
%handles), with a database, a for_each plan and chunk handles open, and
%again after `clear mex`. Every call either succeeds or raises an error
%with a scidb: identifier; none may crash Octave.
    tests = {@every_command_hostile_arguments, @stale_chunk_handles_name_nothing, ...
             @load_all_warns_about_unreadable_records};
end

function every_command_hostile_arguments()
    commands = command_table();
    assert(numel(commands) > 30, 'the command table was not found');
    hostile = {NaN, Inf, -Inf, -1, 0, 1.5, 1e300, 2^53 + 2, [], {}, '', 'x', ['a', char(0)], ...
               int8(-5), uint64(18446744073709551615), 1i, true, {1, 'a'}, struct(), ...
               struct('a', {1, 2}), @sin, zeros(2, 2, 2), single(NaN), sparse(1), ...
               repmat('x', 1, 5000)};
    here = pwd();
    folder = tempname();
    mkdir(folder);
    cd(folder);   % an 'open' that succeeds writes here, not in the suite
    calls = 0;
    try
        for c = 1:numel(commands)
            calls = calls + sweep_command(commands(c), hostile, true);
        end
        scidb.close_database();
        clear mex;   % unloaded: every command again on a fresh gateway
        for c = 1:numel(commands)
            calls = calls + sweep_command(commands(c), hostile(1:8), false);
        end
    catch err
        cd(here);
        rethrow(err);
    end
    cd(here);
    fprintf('gateway sweep: %d commands, %d calls, no crash\n', numel(commands), calls);
end

function stale_chunk_handles_name_nothing()
    % A handle freed (or left from before configure_database) must not
    % reach a reader opened later, even in the same slot.
    fresh_database();
    RawEMG().save_chunks({(1:3)'}, 'subject', 1, 'session', 'a');
    first = scidb_mex('chunk_reader_open', 'RawEMG', {'subject', 1, 'session', 'a'});
    scidb_mex('chunk_reader_free', first);
    second = scidb_mex('chunk_reader_open', 'RawEMG', {'subject', 1, 'session', 'a'});
    assert(second ~= first, 'a handle number was reused');
    assert_error(@() scidb_mex('chunk_reader_next', first), 'scidb:invalidArgument', 'no open chunk reader');
    assert_same(scidb_mex('chunk_reader_next', second), (1:3)', 'the live reader');
    scidb_mex('chunk_reader_free', second);
    RawEMG().save(1, 'subject', 1, 'session', 'a');
    scidb_mex('foreach_new', plan_spec());
    assert_error(@() scidb_mex('foreach_next', NaN, 1), 'scidb:invalidArgument', 'whole number');
    assert_error(@() scidb_mex('foreach_next', 1, Inf), 'scidb:invalidArgument', 'whole number');
    scidb_mex('foreach_free');
end

function load_all_warns_about_unreadable_records()
    fresh_database();
    RawEMG().save(ones(300000, 1), 'subject', 1, 'session', 'a');
    RawEMG().save(2 * ones(300000, 1), 'subject', 2, 'session', 'a');
    lost = RawEMG().load('subject', 1, 'session', 'a');
    file = fullfile(scidb.data_path(), lost.content_hash(1:2), [lost.content_hash, '.npy']);
    assert(exist(file, 'file') == 2, 'the payload file is where docs/storage.md says');
    delete(file);
    lastwarn('');
    got = RawEMG().load_all();   % prints the warning
    [message, id] = lastwarn();
    assert_same(id, 'scidb:unreadableRecords', 'warning id');
    assert(~isempty(strfind(message, lost.record_id)), 'the warning names the record');
    assert_same(numel(got), 1, 'the readable record loads');
end

function n = sweep_command(command, hostile, with_state)
    n = 0;
    if with_state
        set_up_state();
    end
    for count = unique([0, max(command.nargs - 1, 0), command.nargs + 1])
        n = n + try_command(command.name, repmat({[]}, 1, count));
    end
    for i = 1:command.nargs
        for h = 1:numel(hostile)
            args = repmat({[]}, 1, command.nargs);
            args{i} = hostile{h};
            n = n + try_command(command.name, args);
            if with_state && ~scidb_mex('is_open')
                set_up_state();   % 'close' (or a hostile 'open') took it
            end
        end
    end
end

function set_up_state()
    % A database with a record, a planned for_each and open chunk handles,
    % so hostile indexes and handles meet live tables rather than empty ones.
    fresh_database();
    RawEMG().save(1, 'subject', 1, 'session', 'a');
    RawEMG().save_chunks({(1:3)'}, 'subject', 2, 'session', 'a');
    scidb_mex('chunk_reader_open', 'RawEMG', {'subject', 2, 'session', 'a'});
    scidb_mex('chunk_writer_open', 'RawEMG', {'subject', 3, 'session', 'a'});
    scidb_mex('foreach_new', plan_spec());
end

function spec = plan_spec()
    spec = ['{"function": {"language": "matlab", "name": "f", "version": "1"}, ', ...
        '"iterate": [["subject", [1]], ["session", ["a"]]], ', ...
        '"inputs": [{"name": "x", "variable": "RawEMG"}], "outputs": ["FilteredEMG"]}'];
end

function n = try_command(name, args)
    n = 1;
    try
        scidb_mex(name, args{:});
    catch err
        if ~strncmp(err.identifier, 'scidb:', 6)
            error('scidb_mex(''%s'', %d args) raised %s: %s', name, numel(args), ...
                  err.identifier, err.message);
        end
    end
end

function commands = command_table()
    % The {"name", cmd_name, nargs, nout} rows of the gateway's table.
    here = fileparts(mfilename('fullpath'));
    source = fileread(fullfile(here, '..', 'mex', 'scidb_mex.c'));
    rows = regexp(source, '\{"(\w+)",\s*cmd_\w+,\s*(\d+),\s*\d+\}', 'tokens');
    commands = struct('name', {}, 'nargs', {});
    for r = 1:numel(rows)
        commands(end + 1) = struct('name', rows{r}{1}, 'nargs', str2double(rows{r}{2})); %#ok<AGROW>
    end
end
