classdef Scaled < scidb.BaseVariable
end
