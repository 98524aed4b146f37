classdef Fixed
%FIXED An input of scidb.for_each with some metadata held fixed.
%   scidb.Fixed(RawEMG(), 'session', 'baseline') loads, in every
%   combination, the RawEMG record at the combination's metadata but with
%   session 'baseline', as Python's Fixed(RawEMG, session="baseline").

    properties (SetAccess = private)
        variable       % the variable type (class name)
        overrides      % struct: key -> the value held fixed
    end

    methods
        function obj = Fixed(variable, varargin)
            if nargin < 1 || ~isa(variable, 'scidb.BaseVariable')
                error('scidb:invalidArgument', 'scidb.Fixed needs a variable type, e.g. scidb.Fixed(RawEMG(), ''session'', ''baseline'')');
            end
            if mod(numel(varargin), 2) ~= 0
                error('scidb:invalidArgument', 'scidb.Fixed takes ''name'', value pairs after the variable type');
            end
            obj.variable = class(variable);
            obj.overrides = struct();
            for i = 1:2:numel(varargin)
                obj.overrides.(char(varargin{i})) = varargin{i + 1};
            end
        end
    end
end
