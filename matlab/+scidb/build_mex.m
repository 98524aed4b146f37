function mex_path = build_mex(library_dir)
%BUILD_MEX Compile the scidb MEX gateway against the scidb release library.
%   scidb.build_mex() builds matlab/scidb_mex with `mex -R2018a` on MATLAB
%   and `mkoctfile --mex` on GNU Octave, linking libscidb from
%   $CARGO_TARGET_DIR/release (or the repository's target/release).
%   scidb.build_mex(LIBRARY_DIR) links the library found in LIBRARY_DIR.
%   Returns the path of the built MEX file.
    here = fileparts(fileparts(mfilename('fullpath')));   % matlab/
    repo = fileparts(here);
    if nargin < 1 || isempty(library_dir)
        target = getenv('CARGO_TARGET_DIR');
        if isempty(target)
            target = fullfile(repo, 'target');
        end
        library_dir = fullfile(target, 'release');
    end
    if ~exist(fullfile(library_dir, 'libscidb.so'), 'file') && ...
       ~exist(fullfile(library_dir, 'libscidb.dylib'), 'file') && ...
       ~exist(fullfile(library_dir, 'scidb.dll'), 'file')
        error('scidb:notFound', ...
              'no scidb library in %s: run `cargo build --release` first (or pass its folder)', ...
              library_dir);
    end
    sources = fullfile(here, 'mex', {'scidb_mex.c', 'convert_in.c', 'convert_out.c', ...
                                     'columns.c', 'errors.c', 'lineage.c', 'foreach.c', ...
                                     'stream.c', 'chunks.c', 'inspect.c'});
    include = ['-I', fullfile(repo, 'include')];
    link = {['-L', library_dir], '-lscidb', ['-Wl,-rpath,', library_dir]};
    out = fullfile(here, 'scidb_mex');
    if exist('OCTAVE_VERSION', 'builtin')
        % -R2018a: the interleaved-complex API, as under MATLAB.
        args = [{'--mex', '-R2018a', include}, sources, link, ...
                {'-o', [out, '.mex']}];
        [output, status] = mkoctfile(args{:});
        if status ~= 0
            error('scidb:build', 'mkoctfile failed:\n%s', output);
        end
        mex_path = [out, '.mex'];
    else
        rpath = ['LDFLAGS=$LDFLAGS -Wl,-rpath,', library_dir];
        args = [{'-R2018a', include, rpath}, sources, link(1:2), {'-output', out}];
        mex(args{:});
        mex_path = [out, '.', mexext];
    end
end
