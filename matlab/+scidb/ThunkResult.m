classdef ThunkResult < handle
%THUNKRESULT What a scidb.Thunk call returned: output INDEX of the call.
%   result.data is the plain value; result.cached is true when the function
%   did not run because the same call's results were saved before;
%   result.record_id is set once the result is saved, by
%   SomeVariable().save(result, 'subject', 1, ...), which records the
%   call's lineage with it. Pass a result to another scidb.Thunk to chain
%   lineage.

    properties (SetAccess = private)
        data = []          % the value
        cached = false     % true when loaded from an earlier identical call
        record_id = ''     % the record it was saved as ('' until saved)
        index = 1          % which output of the call
    end

    properties (Access = private)
        spec               % the call, as scidb_mex's lineage commands take it
        cached_record = '' % the record a cache hit loaded
        hash = ''
    end

    methods
        function obj = ThunkResult(spec, index, data, cached, cached_record)
            obj.spec = spec;
            obj.index = index;
            obj.data = data;
            obj.cached = cached;
            obj.cached_record = cached_record;
        end

        function h = content_hash(obj)
        %CONTENT_HASH The content hash of the value (64 hex digits).
            if isempty(obj.hash)
                obj.hash = scidb_mex('hash', obj.data);
            end
            h = obj.hash;
        end

        function rid = saved_record(obj)
        %SAVED_RECORD The record holding this result: where it was saved,
        %   else the record a cache hit loaded, else ''.
            rid = obj.record_id;
            if isempty(rid)
                rid = obj.cached_record;
            end
        end

        function rid = save_as(obj, variable, pairs)
        %SAVE_AS Save as a record of VARIABLE (a class name) with metadata
        %   PAIRS and the call's lineage; BaseVariable.save calls this.
            spec = obj.spec;
            % An input that was an unsaved result may have been saved since:
            % lineage then names its record.
            for i = 1:numel(spec.input_results)
                if ~isempty(spec.input_results{i}) && isempty(spec.input_records{i})
                    spec.input_records{i} = spec.input_results{i}.saved_record();
                end
            end
            rid = scidb_mex('call_save', spec, obj.index, variable, pairs, obj.data, obj.cached);
            obj.record_id = rid;
        end
    end
end
