classdef Negated < scidb.BaseVariable
end
