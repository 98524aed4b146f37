function [doubled, negated] = split_value(x)
%SPLIT_VALUE The shared-jobs workers' function: appends "<pid> <subject>
%   <trial>" to the file $SCIDB_JOBS_LOG each time it runs (x is
%   100*subject + trial), waits $SCIDB_JOBS_DELAY seconds, returns 2x, -x.
    fid = fopen(getenv('SCIDB_JOBS_LOG'), 'a');
    fprintf(fid, '%d %d %d\n', getpid(), floor(x / 100), mod(x, 100));
    fclose(fid);
    pause(str2double(getenv('SCIDB_JOBS_DELAY')));
    doubled = 2 * x;
    negated = -x;
end
