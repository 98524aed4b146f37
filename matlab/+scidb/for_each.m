function result = for_each(fn, inputs, outputs, varargin)
%FOR_EACH Run a function over every combination of metadata values.
%
%   scidb.for_each(@bandpass_filter, struct('signal', RawEMG()), {FilteredEMG()}, ...
%                  'subject', [1 2 3], 'session', {'baseline', 'post'});
%
%   For each combination of the iteration values (the first key varies
%   slowest) the inputs are loaded, the function runs and its outputs are
%   saved with the combination's metadata and full lineage. INPUTS is a
%   struct: parameter name -> a variable type (RawEMG(): the record at the
%   combination's metadata), scidb.Fixed(RawEMG(), 'session', 'baseline')
%   (some keys held fixed), or a constant (a number, logical or text), which
%   is passed as is and saved as a variant key of the outputs. The function
%   receives the inputs' values in the struct's field order. OUTPUTS is a
%   cell of variable types, one per output of the function; a combination's
%   outputs are saved all or none.
%
%   Iteration values are numeric vectors, cells of text or numbers, or
%   string arrays; an empty value ([] or {}) means every value the inputs'
%   records have. Options, given as pairs among them:
%     'dry_run', true   plan only: report what would run, be cached or skipped
%     'quiet', true     print nothing (no progress line, no summary)
%     'reserve_jobs', true   on a PostgreSQL catalog, share the combinations
%                       with every process running the same for_each (the
%                       tasks of a SLURM job array): each claims a few at a
%                       time, atomically, so each runs once; what others ran
%                       is reported as cached (see scidb.jobs, docs/cluster.md)
%     'lease_seconds', s     how long a claim holds without renewal
%                       (default 60; renewed while this process lives)
%
%   The engine is the same as Python's: combinations whose inputs are
%   missing are skipped with the reason, combinations already computed by
%   the same function with the same inputs and constants are cached (not
%   run), a failing combination is logged and the others still run. The
%   result has one row per combination: the iteration keys, status ("ran",
%   "cached", "skipped", "failed" or "to_run"), message and one
%   <Type>_record_id column per output: a table on MATLAB, a struct of
%   columns on Octave. Every run is logged in the database (scidb.run_log).
    if nargin < 3
        error('scidb:invalidArgument', 'scidb.for_each(fn, inputs, outputs, ''key'', values, ...)');
    end
    if isa(fn, 'scidb.Thunk')
        thunk = fn;
    else
        thunk = scidb.Thunk(fn);
    end
    [iterate, keys, dry_run, quiet, jobs] = parse_options(varargin);
    [spec_inputs, constants] = describe_inputs(inputs);
    if ~iscell(outputs)
        outputs = {outputs};
    end
    output_names = cell(1, numel(outputs));
    for i = 1:numel(outputs)
        if ~isa(outputs{i}, 'scidb.BaseVariable')
            error('scidb:invalidArgument', 'outputs must be variable types such as {FilteredEMG()}, got a %s', ...
                  class(outputs{i}));
        end
        output_names{i} = class(outputs{i});
    end
    id = thunk.identity();
    func = struct('language', id.language, 'name', id.name);
    if ~isempty(id.version)
        func.version = id.version;
    else
        func.source_hash = id.source_hash;
    end
    spec = struct('function', func, 'n_outputs', numel(outputs));
    spec.iterate = iterate;
    spec.inputs = spec_inputs;
    spec.outputs = output_names;
    spec.reserve_jobs = jobs.reserve;
    if ~isempty(jobs.lease_seconds)
        spec.lease_seconds = jobs.lease_seconds;
    end
    scidb_mex('foreach_new', to_json(spec));
    cleanup = onCleanup(@() scidb_mex('foreach_free'));
    if ~dry_run
        run_all(thunk, numel(outputs), constants, quiet);
        scidb_mex('foreach_finish');
    end
    report = jsondecode(scidb_mex('foreach_report'));
    result = report_table(report, keys, output_names);
    if ~quiet
        fprintf('%s', scidb_mex('foreach_summary'));   % the core's text, as in Python
    end
end

function [iterate, keys, dry_run, quiet, jobs] = parse_options(pairs)
    if mod(numel(pairs), 2) ~= 0
        error('scidb:invalidArgument', 'iteration keys and options must be ''name'', value pairs');
    end
    iterate = {};
    keys = {};
    dry_run = false;
    quiet = false;
    jobs = struct('reserve', false, 'lease_seconds', []);
    for i = 1:2:numel(pairs)
        name = char(pairs{i});
        value = pairs{i + 1};
        switch name
            case 'dry_run'
                dry_run = logical(value);
            case 'quiet'
                quiet = logical(value);
            case 'reserve_jobs'
                jobs.reserve = logical(value);
            case 'lease_seconds'
                jobs.lease_seconds = double(value);
            otherwise
                if exist('isstring', 'builtin') && isstring(value)
                    value = cellstr(value);
                elseif ischar(value)
                    value = {value};
                elseif isnumeric(value) || islogical(value)
                    value = num2cell(value(:)');
                elseif ~iscell(value)
                    error('scidb:invalidArgument', 'values of ''%s'' must be numbers or text, got a %s', ...
                          name, class(value));
                end
                iterate{end + 1} = {name, value(:)'}; %#ok<AGROW>
                keys{end + 1} = name; %#ok<AGROW>
        end
    end
end

function [spec_inputs, constants] = describe_inputs(inputs)
    % CONSTANTS: per input, {value} for a constant (passed to the function
    % as given, not as the core's JSON number), {} for a loaded input.
    if ~isstruct(inputs) || numel(inputs) ~= 1
        error('scidb:invalidArgument', ...
              'inputs must be a struct: parameter name -> variable type, scidb.Fixed or constant');
    end
    names = fieldnames(inputs);
    n = numel(names);
    spec_inputs = cell(1, n);
    constants = cell(1, n);
    for i = 1:n
        constants{i} = {};
        v = inputs.(names{i});
        if isa(v, 'scidb.Fixed')
            spec_inputs{i} = struct('name', names{i}, 'variable', v.variable, 'fixed', v.overrides);
        elseif isa(v, 'scidb.BaseVariable')
            spec_inputs{i} = struct('name', names{i}, 'variable', class(v));
        elseif (ischar(v) && size(v, 1) <= 1) || ((isnumeric(v) || islogical(v)) && isscalar(v))
            spec_inputs{i} = struct('name', names{i}, 'constant', v);
            constants{i} = {v};
        else
            error('scidb:invalidArgument', ...
                  'input ''%s'' must be a variable type, scidb.Fixed or a constant (number, logical, text), got a %s', ...
                  names{i}, class(v));
        end
    end
end

function run_all(thunk, n_outputs, constants, quiet)
    fn = thunk.fn;
    n_inputs = numel(constants);
    is_constant = ~cellfun(@isempty, constants);
    report = jsondecode(scidb_mex('foreach_report'));
    total = report.summary.to_run;
    done = 0;
    failed = 0;
    % The progress line appears once a run has taken two seconds, so short
    % runs (and logs of them) show only the summary.
    show = ~quiet && total > 0;
    started = tic();
    last_shown = 1.5;
    shown = false;
    while true
        items = scidb_mex('foreach_next', 64, n_inputs);
        if isempty(items)
            break;
        end
        for i = 1:numel(items)
            outputs = cell(1, n_outputs);
            args = items(i).inputs;
            for k = find(is_constant)
                args{k} = constants{k}{1};
            end
            try
                [outputs{:}] = fn(args{:});
                scidb_mex('foreach_done', items(i).index, outputs);
            catch err
                failed = failed + 1;
                scidb_mex('foreach_failed', items(i).index, failure_text(err));
            end
            done = done + 1;
            if show && (toc(started) - last_shown > 0.5 || (shown && done == total))
                fprintf(2, '\r%s: %d/%d combinations run, %d failed', thunk.name, done, total, failed);
                last_shown = toc(started);
                shown = true;
            end
        end
    end
    if shown
        fprintf(2, '\n');
    end
end

function text = failure_text(err)
    text = sprintf('%s: %s', err.identifier, err.message);
    for s = 1:numel(err.stack)
        text = sprintf('%s\n    at %s line %d', text, err.stack(s).name, err.stack(s).line);
    end
end

function out = report_table(report, keys, output_names)
    combos = report.combinations;
    if isstruct(combos)
        combos = num2cell(combos);
    end
    n = numel(combos);
    out = struct();
    for k = 1:numel(keys)
        values = cell(n, 1);
        for r = 1:n
            values{r} = combos{r}.metadata.(keys{k});
        end
        out.(keys{k}) = column(values);
    end
    out.status = cell(n, 1);
    out.message = cell(n, 1);
    ids = cell(n, numel(output_names));
    for r = 1:n
        out.status{r} = combos{r}.status;
        out.message{r} = text_or_empty(combos{r}.message);
        record_ids = combos{r}.record_ids;
        if ischar(record_ids)
            record_ids = {record_ids};
        end
        for o = 1:numel(output_names)
            if o <= numel(record_ids)
                ids{r, o} = record_ids{o};
            else
                ids{r, o} = '';
            end
        end
    end
    for o = 1:numel(output_names)
        out.([output_names{o}, '_record_id']) = ids(:, o);
    end
    if exist('table', 'file') == 2 && exist('struct2table', 'file') == 2
        out = struct2table(out);
    end
end

function c = column(values)
    % Numbers as a numeric column, anything else as a cell column.
    if all(cellfun(@(v) isnumeric(v) && isscalar(v), values))
        c = cell2mat(values);
    else
        c = values;
    end
end

function t = text_or_empty(v)
    if ischar(v)
        t = v;
    else
        t = '';
    end
end

function text = to_json(v)
%TO_JSON JSON text of a description for the core: scalar structs are
%   objects, cells are lists, text is a string, logical and numeric scalars
%   are booleans and numbers (doubles with 17 significant digits, so they
%   round-trip exactly), numeric and logical vectors are lists.
    if isstruct(v)
        names = fieldnames(v);
        parts = cell(1, numel(names));
        for i = 1:numel(names)
            parts{i} = [string_json(names{i}), ':', to_json(v.(names{i}))];
        end
        text = ['{', strjoin(parts, ','), '}'];
    elseif iscell(v)
        parts = cellfun(@to_json, v, 'UniformOutput', false);
        text = ['[', strjoin(parts, ','), ']'];
    elseif ischar(v)
        text = string_json(v);
    elseif exist('isstring', 'builtin') && isstring(v) && isscalar(v)
        text = string_json(char(v));
    elseif (isnumeric(v) || islogical(v)) && isscalar(v)
        text = scalar_json(v);
    elseif (isnumeric(v) || islogical(v)) && (isvector(v) || isempty(v))
        text = to_json(num2cell(v(:)'));
    else
        error('scidb:invalidArgument', 'cannot describe a %s %s to scidb', mat2str(size(v)), class(v));
    end
end

function text = string_json(s)
    text = jsonencode(char(s));
end

function text = scalar_json(x)
    if islogical(x)
        flags = {'false', 'true'};
        text = flags{double(x) + 1};
    elseif isinteger(x)
        text = sprintf('%d', x);
    elseif ~isreal(x) || ~isfinite(x)
        error('scidb:invalidArgument', 'metadata and constants must be real finite numbers, got %s', num2str(x));
    else
        text = sprintf('%.17g', double(x));
    end
end
