classdef ChunkReader < handle
%CHUNKREADER The chunks of a value saved with save_chunks, one at a time.
%   reader = RawEMG().load_chunks('subject', 1);
%   while reader.has_next()
%       chunk = reader.next();   % about one million cells
%   end
%   reader.n_chunks and reader.rows tell the size up front. The reader is
%   released when it is cleared (or by reader.close()).

    properties (SetAccess = private)
        n_chunks = 0   % how many chunks the value has
        rows = 0       % rows along the first axis, over all chunks
    end

    properties (Access = private)
        handle = 0
        served = 0
    end

    methods
        function obj = ChunkReader(variable, pairs)
            [obj.handle, obj.n_chunks, obj.rows] = scidb_mex('chunk_reader_open', variable, pairs);
        end

        function yes = has_next(obj)
        %HAS_NEXT Whether next() has another chunk to give.
            yes = obj.handle ~= 0 && obj.served < obj.n_chunks;
        end

        function chunk = next(obj)
        %NEXT The next chunk (an array, or a table / struct of columns);
        %   [] after the last.
            if obj.handle == 0
                chunk = [];
                return;
            end
            chunk = scidb_mex('chunk_reader_next', obj.handle);
            obj.served = obj.served + 1;
        end

        function close(obj)
        %CLOSE Release the reader now.
            if obj.handle ~= 0 && scidb_mex('is_open')
                scidb_mex('chunk_reader_free', obj.handle);
            end
            obj.handle = 0;
        end

        function delete(obj)
            close(obj);
        end
    end
end
