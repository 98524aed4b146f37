classdef Doubled < scidb.BaseVariable
end
