classdef Sample < scidb.BaseVariable
end
