classdef Raw < scidb.BaseVariable
end
