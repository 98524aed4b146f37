function out = graph(path)
%GRAPH The pipeline picture: variable types (with record counts) and the
%   functions between them (language, constants in use, stale outputs),
%   laid out by the library. scidb.graph('out.svg') writes it to a file
%   whose extension chooses the format: .svg, .html (a self-contained page)
%   or .dot (Graphviz); it returns the path. scidb.graph() returns the DOT
%   text. The same picture as `scidb graph DB -o FILE`.
    if nargin == 0
        out = scidb_mex('graph', 'dot');
        return;
    end
    if ~ischar(path)
        if exist('isstring', 'builtin') && isstring(path)
            path = char(path);
        else
            error('scidb:invalidArgument', 'scidb.graph takes a file name (text)');
        end
    end
    [~, ~, ext] = fileparts(path);
    kinds = struct('dot', 'dot', 'svg', 'svg', 'html', 'html', 'htm', 'html');
    key = lower(strrep(ext, '.', ''));
    if isempty(key) || ~isfield(kinds, key)
        error('scidb:invalidArgument', '%s: the file name must end in .svg, .html or .dot', path);
    end
    text = scidb_mex('graph', kinds.(key));
    fid = fopen(path, 'w');
    if fid < 0
        error('scidb:io', 'cannot write %s', path);
    end
    cleanup = onCleanup(@() fclose(fid));
    fwrite(fid, unicode2native(text, 'UTF-8'));
    out = path;
end
